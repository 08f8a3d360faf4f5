// alliancectl jwks: the public JWK Set of the key the plugin signs its SMART client
// assertions with. Some EHRs (Epic's newer versions among them) read an app's public
// keys from a URL instead of a key uploaded once; IT publishes this output there.
// It holds public numbers only: the private key never leaves its file.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "configuration/configuration.hpp"

namespace alliance::control {

// {"keys":[<the key's JWK, with fhir.smart.key_id as kid>]}, or nothing with `error`
// set (no fhir.smart section, a key file the plugin would refuse).
std::optional<std::string> public_key_set(const Configuration& configuration, std::string& error);

// Prints the set (exit status 0), or the problem (1).
int print_public_key_set(const Configuration& configuration, std::ostream& out);

}  // namespace alliance::control
