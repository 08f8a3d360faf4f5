#pragma once

#include <string>
#include <string_view>

namespace alliance {

// A random version 4 UUID ("0f8fad5b-d9cb-469f-a165-70867728950e"), from OpenSSL's
// CSPRNG: administration ids become FHIR identifiers and must never collide.
std::string new_uuid();

// A version 5 (SHA-1, name-based) UUID of `name` within the namespace `namespace_uuid`
// (RFC 4122 section 4.3). The same inputs always give the same UUID, which keeps the
// FHIR mapping a pure function. Returns "" if `namespace_uuid` is not a UUID.
std::string name_based_uuid(std::string_view namespace_uuid, std::string_view name);

}  // namespace alliance
