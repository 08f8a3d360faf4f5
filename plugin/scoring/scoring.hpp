// Scoring of the ORS and SRS families: totals, the ORS clinical cutoff by age (none for
// the YCORS), reliable and clinically significant change against intake and the
// previous session, the outcome category, the expected treatment response when a
// table is installed, and the SRS alliance alerts. Pure functions: the
// history they compare against is handed in by the caller (from the store).
// Sources for every default: ../shared/domain/pcoms.md, summarised in the README.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "measures/measure_definition.hpp"
#include "measures/scored_measure.hpp"
#include "measures/scores.hpp"

namespace alliance {

class ExpectedResponseTable;  // expected_response.hpp

struct ScoringRules {
  // ORS clinical cutoffs by age band. A total strictly below the cutoff is in the
  // clinical range (sources disagree on exactly-at-cutoff; we follow "below").
  Tenths adult_cutoff = 250;       // 18 and over
  Tenths adolescent_cutoff = 280;  // 13 to 17 (not confirmed by a primary source)
  Tenths child_cutoff = 320;       // 6 to 12
  // 5 and under: no cutoff (the young child ORS has no psychometric norms).
  Tenths reliable_change = 50;     // ORS change that counts as reliable
  Tenths alliance_cutoff = 360;    // SRS total below this is an alliance concern
  Tenths item_cutoff = 90;         // an SRS item below this calls for a check-in
  Tenths alliance_drop = 10;       // SRS drop from the previous session that alerts
  // Age bands (years on the session date): they choose the measure and the cutoff.
  int child_from_age = 6;        // below: young child (YCORS, no cutoff)
  int adolescent_from_age = 13;  // below: child (CORS, CSRS)
  int adult_from_age = 18;       // below: adolescent (ORS with the adolescent cutoff)
  // An installed expected-treatment-response table (licensed data), or none: then no
  // ORS is marked on or off track. It applies only to the measure it names (an ORS
  // table never judges a CORS), from the second session on.
  std::shared_ptr<const ExpectedResponseTable> expected_response;
};

AgeBand age_band_for(int age_years, const ScoringRules& rules);  // age_years < 0 means unknown

// The ORS cutoff for the band; unknown age falls back to the adult cutoff (and the
// result says so); young children have none.
std::optional<Tenths> outcome_cutoff_for(AgeBand band, const ScoringRules& rules);

// What the store knows about a client's earlier administrations of one measure.
struct MeasureHistory {
  int earlier_sessions = 0;              // sessions with any administration before this one
  int earlier_administrations = 0;       // earlier administrations of this measure
  std::optional<Tenths> intake_total;    // the first administration of this measure
  std::optional<Tenths> previous_total;  // the most recent earlier administration
  std::string intake_at;                 // RFC 3339 of the intake, when known
  std::string previous_at;               // RFC 3339 of the previous one, when known
};

// `item_scores` must already be validated (0..100 each, one per item).
ScoredMeasure score_measure(const MeasureDefinition& measure, const std::vector<Tenths>& item_scores,
                            int age_years, const MeasureHistory& history, const ScoringRules& rules);

}  // namespace alliance
