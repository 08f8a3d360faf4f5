// ExpectedResponseTable::parse (plugin/scoring/expected_response.cpp): a clinic's expected
// treatment response table; a table that loads is then looked up.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "scoring/expected_response.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> problems;
  const auto table = alliance::ExpectedResponseTable::parse(text, "etr.json", problems);
  FUZZ_CHECK(table.has_value() == problems.empty());
  if (!table) return 0;
  for (const alliance::Tenths intake : {0, 150, 400}) {
    for (const int session : {1, 2, 1000}) {
      if (const auto expectation = table->expectation(intake, session)) {
        FUZZ_CHECK(expectation->off_track_below <= expectation->expected);
      }
    }
  }
  return 0;
}
