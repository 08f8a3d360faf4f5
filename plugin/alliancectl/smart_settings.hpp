// fhir.smart as the token source takes it (the same fields Delivery passes).
#pragma once

#include "configuration/configuration.hpp"
#include "auth/token_source.hpp"

namespace alliance::control {

inline fhir::auth::SmartSettings smart_settings(const SmartConfiguration& configuration) {
  fhir::auth::SmartSettings smart;
  smart.client_id = configuration.client_id;
  smart.private_key_file = configuration.private_key_file.string();
  smart.key_id = configuration.key_id;
  smart.scopes = configuration.scopes;
  smart.token_endpoint = configuration.token_endpoint;
  return smart;
}

}  // namespace alliance::control
