#pragma once

#include <string>

namespace alliance {

// A random version 4 UUID ("0f8fad5b-d9cb-469f-a165-70867728950e"), from OpenSSL's
// CSPRNG: administration ids become FHIR identifiers and must never collide.
std::string new_uuid();

}  // namespace alliance
