// The FHIR server's .well-known/smart-configuration document, which names the token
// endpoint and what it accepts: its reading and checking (fetching it is in
// smart_discovery.hpp). Only std types here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt_assertion.hpp"

namespace alliance::fhir::auth {

// Relative to the FHIR base URL.
inline constexpr const char* smart_configuration_target = ".well-known/smart-configuration";
// The document, as problems with it name it.
inline constexpr const char* smart_configuration_name =
    "the FHIR server's SMART configuration (.well-known/smart-configuration)";

// What the plugin reads from the document. A list the server leaves out is empty.
struct SmartConfiguration {
  std::string token_endpoint;  // https://..., checked
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> token_endpoint_auth_signing_alg_values_supported;
  std::vector<std::string> grant_types_supported;
  std::vector<std::string> scopes_supported;  // informational: servers list what they like
};

struct SmartConfigurationResult {
  std::optional<SmartConfiguration> configuration;
  std::string error;       // set when there is no configuration; words for clinic IT
  bool permanent = false;  // with an error: asking again will not help until someone changes a setting
};

// Checks a document for a client that signs with `algorithm`, or (nullopt) one that
// authenticates with a client secret (HTTP Basic). Refused (permanent): no JSON
// object, larger than 256 KiB, no token_endpoint or one that is not https://, a field
// of the wrong type or out of bounds, and, when the server lists them, methods without
// ours (private_key_jwt or client_secret_basic), algorithms without ours, or grant
// types without client_credentials.
SmartConfigurationResult parse_smart_configuration(std::string_view document,
                                                   std::optional<SigningAlgorithm> algorithm);

// Text a server sent, made fit for a message: printable ASCII only, at most `limit`
// characters. Used for values the server chose (lists, error descriptions).
std::string printable(std::string_view text, std::size_t limit = 200);

}  // namespace alliance::fhir::auth
