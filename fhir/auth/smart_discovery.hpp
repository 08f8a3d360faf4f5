// SMART discovery: fetching the FHIR server's .well-known/smart-configuration through
// the HTTPS client, then reading it (smart_configuration.hpp).
#pragma once

#include <functional>

#include "auth/jwt_assertion.hpp"
#include "auth/smart_configuration.hpp"
#include "client/https_client.hpp"

namespace alliance::fhir::auth {

// GET [base]/.well-known/smart-configuration through `client` (made for the FHIR base
// URL), then parse_smart_configuration(). `done` runs once, on the client's io_context
// thread. A transport failure, 408, 429 or 5xx is not permanent; 404 and other answers
// are (the server publishes no usable SMART configuration: configure the token
// endpoint instead).
void fetch_smart_configuration(HttpsClient& client, std::optional<SigningAlgorithm> algorithm,
                               std::function<void(SmartConfigurationResult)> done);

}  // namespace alliance::fhir::auth
