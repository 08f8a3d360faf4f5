// alliance::parse_questionnaire (fhir/measures/measure_library.cpp): a Questionnaire file
// a clinic installs (measures.questionnaire_folder), with its wording and the verbal
// scripts; a measure that loads keeps what the loader promises.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "measures/measure_library.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> problems;
  const auto measure = alliance::parse_questionnaire(text, "fuzz.json", problems);
  FUZZ_CHECK(measure.has_value() == problems.empty());
  for (const std::string& problem : problems) FUZZ_CHECK(problem.rfind("fuzz.json", 0) == 0);
  if (!measure) return 0;
  FUZZ_CHECK(measure->items.size() == 4);
  FUZZ_CHECK(!measure->total_link_id.empty());
  FUZZ_CHECK(alliance::is_measure_code(measure->code));
  FUZZ_CHECK(measure->verbal_introduction.size() <= 2000);
  for (const alliance::MeasureItem& item : measure->items) FUZZ_CHECK(item.verbal_script.size() <= 2000);
  return 0;
}
