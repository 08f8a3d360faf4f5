// What scoring one administration gives: totals, the age band and cutoff, change since
// intake and the previous session, the outcome category and the flags a therapist can
// say aloud. Value types only: the rules that compute them are the plugin's
// (plugin/scoring); the FHIR mapping, the store and the therapist's page read them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "measures/measure_definition.hpp"
#include "measures/scores.hpp"

namespace alliance {

enum class AgeBand { adult, adolescent, child, young_child, unknown };
const char* describe(AgeBand band);  // "adult", "young child", "age unknown", ...

// Every finding scoring can report. The one table of their codes (stable: the chart's
// pcoms-flag code system, the store and the therapist's page use them) and kinds is
// in scored_measure.cpp.
enum class FlagCode {
  clinical_range,                 // ORS below the cutoff for the client's age
  reliable_improvement,           // ORS reliably better than at intake
  reliable_deterioration,         // ORS reliably worse than at intake
  clinically_significant_change,  // reliable improvement across the cutoff
  reliable_change_up,             // ORS reliably better than the previous session
  reliable_change_down,           // ORS reliably worse than the previous session
  off_track,                      // below the expected treatment response
  alliance_concern,               // SRS total below the alliance cutoff
  item_check_in,                  // an SRS item low enough to ask about
  alliance_drop,                  // SRS dropped since the previous session
};
// "clinical-range", "reliable-improvement", ...
const char* to_string(FlagCode code);
// How the therapist's page shows it: "concern", "good" or "ask".
const char* flag_kind(FlagCode code);
// The code for its text; empty for any other text.
std::optional<FlagCode> flag_code_from(std::string_view text);

// A finding a therapist can say aloud: `text` is plain words.
struct Flag {
  FlagCode code = FlagCode::clinical_range;
  std::string text;
};

// Where an ORS trajectory stands since intake (PCOMS research categories; Jacobson
// and Truax 1991 for clinically significant change).
enum class OutcomeCategory {
  recovered,           // reliable improvement that crossed the cutoff from below
  reliably_improved,   // reliable improvement, not (or no cutoff to) cross
  no_reliable_change,  // within the reliable change of intake
  deteriorated,        // reliably worse than at intake
};
const char* outcome_category_code(OutcomeCategory category);   // "recovered", "reliably-improved", ...
const char* outcome_category_words(OutcomeCategory category);  // "Recovered", "Reliably improved", ...

struct ScoredMeasure {
  MeasureKind kind = MeasureKind::outcome_rating_scale;
  std::vector<Tenths> item_scores;  // in the measure's item order
  Tenths total = 0;
  int session_number = 1;  // 1 = intake
  AgeBand age_band = AgeBand::unknown;
  std::optional<Tenths> cutoff;  // ORS clinical cutoff or SRS alliance cutoff
  bool in_concern_range = false;  // ORS below cutoff, or SRS below the alliance cutoff
  std::optional<Tenths> change_since_intake;
  std::optional<Tenths> change_since_previous;
  // ORS family, from the second administration on (needs an intake).
  std::optional<OutcomeCategory> outcome_category;
  bool clinically_significant_change = false;
  // With an expected-treatment-response table: the expected total at this session
  // and whether the client is on track. Without one: both empty.
  std::optional<Tenths> expected_total;
  std::optional<bool> on_track;
  std::vector<Flag> flags;
  std::string summary;  // one sentence for the therapist
};

}  // namespace alliance
