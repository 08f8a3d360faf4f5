// parse_panel_message (plugin/panels/panel_message.cpp): what a client's measure panel
// posts, from a web page. Each input is read for every shipped measure in the default
// language, so the "measure" field always matches one of them.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "measures/measure_library.hpp"
#include "panels/panel_message.hpp"

namespace {

const alliance::MeasureLibrary& shipped_measures() {
  static const alliance::MeasureLibrary library = [] {
    std::vector<std::string> problems;
    auto loaded = alliance::load_measure_library(ALLIANCE_QUESTIONNAIRE_DIR, problems);
    FUZZ_CHECK(loaded.has_value());
    return *loaded;
  }();
  return library;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const alliance::MeasureDefinition& measure : shipped_measures().measures) {
    if (measure.language != shipped_measures().default_language) continue;
    const alliance::PanelMessage message = alliance::parse_panel_message(text, measure);
    if (const auto* submitted = std::get_if<alliance::SubmittedAnswers>(&message)) {
      // One mark per item, each on the line: the scoring relies on both.
      FUZZ_CHECK(submitted->item_scores.size() == measure.items.size());
      for (const alliance::Tenths mark : submitted->item_scores) FUZZ_CHECK(mark >= 0 && mark <= 100);
    } else if (const auto* declined = std::get_if<alliance::DeclinedMeasure>(&message)) {
      FUZZ_CHECK(declined->reason.size() <= alliance::kMaximumDeclineReasonBytes);
    } else {
      FUZZ_CHECK(!std::get<alliance::InvalidMessage>(message).problems.empty());
    }
  }
  return 0;
}
