// The FHIR client's settings from the fhir.* configuration: one place, so that
// delivery, the token source, the history reader and alliancectl connect the same way
// (CA file, mutual TLS, proxy, a timeout on every step, the response limit, the SMART
// client).
#pragma once

#include "auth/token_source.hpp"
#include "client/https_client.hpp"
#include "configuration/configuration.hpp"

namespace alliance {

fhir::HttpsClientSettings https_client_settings(const FhirConfiguration& settings);

// fhir.smart as the token source takes it.
fhir::auth::SmartSettings smart_settings(const SmartConfiguration& configuration);

}  // namespace alliance
