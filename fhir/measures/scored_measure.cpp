#include "measures/scored_measure.hpp"

#include <iterator>

namespace alliance {
namespace {

struct FlagEntry {
  FlagCode code;
  const char* text;
  const char* kind;
};

// The one table of flag codes: add a FlagCode, then its line here.
constexpr FlagEntry kFlags[] = {
    {FlagCode::clinical_range, "clinical-range", "concern"},
    {FlagCode::reliable_improvement, "reliable-improvement", "good"},
    {FlagCode::reliable_deterioration, "reliable-deterioration", "concern"},
    {FlagCode::clinically_significant_change, "clinically-significant-change", "good"},
    {FlagCode::reliable_change_up, "reliable-change-up", "good"},
    {FlagCode::reliable_change_down, "reliable-change-down", "concern"},
    {FlagCode::off_track, "off-track", "concern"},
    {FlagCode::alliance_concern, "alliance-concern", "concern"},
    {FlagCode::item_check_in, "item-check-in", "ask"},
    {FlagCode::alliance_drop, "alliance-drop", "concern"},
};

const FlagEntry& entry_of(FlagCode code) {
  for (const FlagEntry& entry : kFlags) {
    if (entry.code == code) return entry;
  }
  return kFlags[0];  // unreachable: every enumerator has its line
}

}  // namespace

const char* to_string(FlagCode code) { return entry_of(code).text; }

const char* flag_kind(FlagCode code) { return entry_of(code).kind; }

std::optional<FlagCode> flag_code_from(std::string_view text) {
  for (const FlagEntry& entry : kFlags) {
    if (text == entry.text) return entry.code;
  }
  return std::nullopt;
}

const char* describe(AgeBand band) {
  switch (band) {
    case AgeBand::adult: return "adult";
    case AgeBand::adolescent: return "adolescent";
    case AgeBand::child: return "child";
    case AgeBand::young_child: return "young child";
    case AgeBand::unknown: return "age unknown";
  }
  return "age unknown";
}

const char* outcome_category_code(OutcomeCategory category) {
  switch (category) {
    case OutcomeCategory::recovered: return "recovered";
    case OutcomeCategory::reliably_improved: return "reliably-improved";
    case OutcomeCategory::no_reliable_change: return "no-reliable-change";
    case OutcomeCategory::deteriorated: return "deteriorated";
  }
  return "no-reliable-change";
}

const char* outcome_category_words(OutcomeCategory category) {
  switch (category) {
    case OutcomeCategory::recovered: return "Recovered";
    case OutcomeCategory::reliably_improved: return "Reliably improved";
    case OutcomeCategory::no_reliable_change: return "No reliable change";
    case OutcomeCategory::deteriorated: return "Deteriorated";
  }
  return "No reliable change";
}

}  // namespace alliance
