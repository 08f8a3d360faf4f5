#include "configuration/https_client_settings.hpp"

#include <chrono>

namespace alliance {

fhir::HttpsClientSettings https_client_settings(const FhirConfiguration& settings) {
  fhir::HttpsClientSettings client;
  client.base_url = settings.base_url;
  client.ca_file = settings.ca_file.string();
  client.client_certificate_file = settings.client_certificate_file.string();
  client.client_key_file = settings.client_key_file.string();
  client.proxy_url = settings.proxy_url;
  client.proxy_username = settings.proxy_username;
  client.proxy_password = settings.proxy_password;
  const std::chrono::milliseconds step = std::chrono::seconds(settings.timeout_seconds);
  client.timeouts.resolve = client.timeouts.connect = client.timeouts.tls_handshake = step;
  client.timeouts.write = client.timeouts.read = step;
  client.response_limit_bytes = settings.response_limit_bytes;
  return client;
}

fhir::auth::SmartSettings smart_settings(const SmartConfiguration& configuration) {
  fhir::auth::SmartSettings smart;
  smart.client_id = configuration.client_id;
  smart.private_key_file = configuration.private_key_file.string();
  smart.key_id = configuration.key_id;
  smart.scopes = configuration.scopes;
  smart.send_scope = configuration.send_scope;
  smart.token_endpoint = configuration.token_endpoint;
  smart.client_secret = configuration.client_secret;
  return smart;
}

}  // namespace alliance
