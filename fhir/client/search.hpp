// Building FHIR search requests and following their pages: the request targets the
// HTTPS client sends (relative to the base URL). Boost.URL stays inside search.cpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alliance::fhir {

// "Type?name=value&..." with each value percent-encoded as a query allows (a FHIR "|"
// becomes %7C; "," and "/" stay).
std::string search_target(std::string_view resource_type,
                          const std::vector<std::pair<std::string, std::string>>& parameters);

// The same from a query as a Bundle entry's request.ifNoneExist holds it
// ("identifier=https://...|value&name=value", values not yet encoded): the search that
// runs a conditional create's condition itself, for a server without conditional creates.
std::string search_target_of_query(std::string_view resource_type, std::string_view query);

// The target (relative to `base_url`) of a Bundle's `next` link, or "" when the link
// does not point below `base_url` on the same server over https, or names a user.
std::string next_page_target(const std::string& base_url, const std::string& next_url);

// A search parameter's value percent-encoded: all but RFC 3986's unreserved characters
// (for conditional creates' If-None-Exist).
std::string encode_query_value(std::string_view value);

}  // namespace alliance::fhir
