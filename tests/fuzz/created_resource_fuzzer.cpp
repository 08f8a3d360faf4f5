// created_resource_id (fhir/mapping/created_resource.cpp): the id a FHIR server gave a
// Questionnaire (or an Observation, one by one) it created. The input's first line is
// the Location header, the rest the body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mapping/created_resource.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t line_end = std::min(input.find('\n'), input.size());
  const std::string_view location = input.substr(0, line_end);
  const std::string_view body = input.substr(std::min(line_end + 1, input.size()));
  (void)alliance::created_resource_id(location, body, "Questionnaire");
  (void)alliance::created_resource_id(location, body, "Observation");
  return 0;
}
