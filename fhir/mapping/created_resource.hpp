// The id a FHIR server gave a resource that a (conditional) create sent it: from the
// Location header, else from the resource in the body. Both are the server's text,
// untrusted; a separate file so that it can be fuzzed (tests/fuzz).
#pragma once

#include <string>
#include <string_view>

namespace alliance {

// "" when neither names a resource of `type` ("Questionnaire", "Observation", ...).
std::string created_resource_id(std::string_view location, std::string_view body, const std::string& type);

}  // namespace alliance
