// parse_configuration (plugin/configuration/configuration.cpp): the plugin's configuration file.
// Relative paths resolve against a folder that does not exist, so the files it checks
// are not found (absolute ones are only opened for reading, never written).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "configuration/configuration.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const alliance::ConfigurationResult result =
      alliance::parse_configuration(text, "/nonexistent-alliance-fuzz/alliance.json");
  // Either a configuration or the reasons why not, never both and never neither.
  FUZZ_CHECK(result.configuration.has_value() == result.problems.empty());
  (void)alliance::describe(result.problems);
  return 0;
}
