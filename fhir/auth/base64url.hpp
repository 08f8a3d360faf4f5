// base64url without padding (RFC 4648 section 5), as JWS (RFC 7515) writes every part
// of a compact JWT.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace alliance::fhir::auth {

std::string base64url_encode(std::string_view bytes);

// The bytes, or nothing when `text` has a character outside the base64url alphabet
// (padding '=' included: JWS never pads) or a length no encoding produces.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace alliance::fhir::auth
