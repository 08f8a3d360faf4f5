// The HTTPS client's settings from the fhir.* configuration: one place, so that
// delivery, the token source and the history reader connect the same way (CA file,
// mutual TLS, proxy, a timeout on every step, the response limit).
#pragma once

#include "configuration/configuration.hpp"
#include "client/https_client.hpp"

namespace alliance {

fhir::HttpsClientSettings https_client_settings(const FhirConfiguration& settings);

}  // namespace alliance
