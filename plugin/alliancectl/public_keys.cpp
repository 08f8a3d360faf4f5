#include "alliancectl/public_keys.hpp"

#include <nlohmann/json.hpp>

#include "alliancectl/terminal_text.hpp"
#include "auth/jwt_assertion.hpp"

namespace alliance::control {

std::optional<std::string> public_key_set(const Configuration& configuration, std::string& error) {
  if (!configuration.fhir || !configuration.fhir->smart) {
    error = "fhir.smart: not configured: the plugin signs nothing, so it has no public key to publish";
    return std::nullopt;
  }
  const SmartConfiguration& smart = *configuration.fhir->smart;
  if (!smart.client_secret.empty()) {
    error = "fhir.smart: authenticates with a client secret (fhir.smart.client_secret_file), not a key: there is "
            "no public key to publish";
    return std::nullopt;
  }
  // The same checks the plugin makes when it loads the key (owner-only file, RSA of at
  // least 2048 bits or EC P-384, not encrypted).
  fhir::auth::SigningKeyLoad load = fhir::auth::SigningKey::load_pem_file(smart.private_key_file.string());
  if (!load.key) {
    error = "fhir.smart.private_key_file: " + load.error;
    return std::nullopt;
  }
  std::string jwk_error;
  const std::optional<std::string> jwk = load.key->public_jwk(smart.key_id, jwk_error);
  if (!jwk) {
    error = "fhir.smart.private_key_file: " + jwk_error;
    return std::nullopt;
  }
  nlohmann::ordered_json set;
  set["keys"] = nlohmann::ordered_json::array({nlohmann::ordered_json::parse(*jwk)});
  return set.dump(2);
}

int print_public_key_set(const Configuration& configuration, std::ostream& out) {
  std::string error;
  const std::optional<std::string> set = public_key_set(configuration, error);
  if (!set) {
    out << terminal_text(error) << "\n";
    return 1;
  }
  out << *set << "\n";
  return 0;
}

}  // namespace alliance::control
