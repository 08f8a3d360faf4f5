#include "scoring/scoring.hpp"

#include <cctype>
#include <cstdlib>
#include <numeric>

#include "scoring/expected_response.hpp"

namespace alliance {

AgeBand age_band_for(int age_years, const ScoringRules& rules) {
  if (age_years < 0) return AgeBand::unknown;
  if (age_years >= rules.adult_from_age) return AgeBand::adult;
  if (age_years >= rules.adolescent_from_age) return AgeBand::adolescent;
  if (age_years >= rules.child_from_age) return AgeBand::child;
  return AgeBand::young_child;
}

std::optional<Tenths> outcome_cutoff_for(AgeBand band, const ScoringRules& rules) {
  switch (band) {
    case AgeBand::adult: return rules.adult_cutoff;
    case AgeBand::adolescent: return rules.adolescent_cutoff;
    case AgeBand::child: return rules.child_cutoff;
    case AgeBand::young_child: return std::nullopt;
    case AgeBand::unknown: return rules.adult_cutoff;
  }
  return rules.adult_cutoff;
}

namespace {

// "reliably improved": the category's words inside a sentence.
std::string in_sentence(const char* words) {
  std::string text = words;
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// pcoms.md: the young child ORS has no psychometric norms, so no cutoff whatever the
// age; every other outcome measure takes the cutoff of the client's age band.
std::optional<Tenths> cutoff_for(const MeasureDefinition& measure, AgeBand band, const ScoringRules& rules) {
  if (measure.code == "YCORS") return std::nullopt;
  return outcome_cutoff_for(band, rules);
}

void score_outcome(ScoredMeasure& scored, const MeasureDefinition& measure, const MeasureHistory& history,
                   const ScoringRules& rules) {
  scored.cutoff = cutoff_for(measure, scored.age_band, rules);
  std::string summary = measure.code + " " + format_tenths(scored.total) + " (session " +
                        std::to_string(scored.session_number) + ")";
  if (scored.cutoff) {
    scored.in_concern_range = scored.total < *scored.cutoff;
    const std::string cutoff_words = format_tenths(*scored.cutoff) + " (" + describe(scored.age_band) +
                                     (scored.age_band == AgeBand::unknown ? ", adult cutoff used" : "") + ")";
    if (scored.in_concern_range) {
      scored.flags.push_back({FlagCode::clinical_range, "In the clinical range: below the cutoff of " + cutoff_words + "."});
      summary += ", below the clinical cutoff of " + format_tenths(*scored.cutoff);
    } else {
      summary += ", at or above the clinical cutoff of " + format_tenths(*scored.cutoff);
    }
  } else if (measure.code == "YCORS") {
    summary += "; the " + measure.code + " has no clinical cutoff";
  } else {
    summary += "; no clinical cutoff for a young child";
  }

  if (history.intake_total) {
    const Tenths intake = *history.intake_total;
    const Tenths change = scored.total - intake;
    scored.change_since_intake = change;
    summary += "; " + format_tenths(change, true) + " since intake";
    if (change >= rules.reliable_change) {
      scored.flags.push_back({FlagCode::reliable_improvement, "Reliable improvement since intake: " +
                                                          format_tenths(change, true) + " points."});
    } else if (change <= -rules.reliable_change) {
      scored.flags.push_back({FlagCode::reliable_deterioration, "Reliably worse than at intake: " +
                                                            format_tenths(change, true) + " points."});
    }
    // Jacobson and Truax (1991): a reliable change that takes the client from the
    // clinical range at intake to at or above the cutoff now.
    scored.clinically_significant_change = scored.cutoff && intake < *scored.cutoff &&
                                           scored.total >= *scored.cutoff && change >= rules.reliable_change;
    if (scored.clinically_significant_change) {
      scored.flags.push_back({FlagCode::clinically_significant_change,
                              "Clinically significant change: from " + format_tenths(intake) +
                                  " at intake, in the clinical range, to " + format_tenths(scored.total) +
                                  ", at or above the cutoff of " + format_tenths(*scored.cutoff) + ", a reliable " +
                                  format_tenths(change, true) + " points."});
    }
    if (scored.clinically_significant_change) {
      scored.outcome_category = OutcomeCategory::recovered;
    } else if (change >= rules.reliable_change) {
      scored.outcome_category = OutcomeCategory::reliably_improved;
    } else if (change <= -rules.reliable_change) {
      scored.outcome_category = OutcomeCategory::deteriorated;
    } else {
      scored.outcome_category = OutcomeCategory::no_reliable_change;
    }
  }
  if (history.previous_total) {
    const Tenths change = scored.total - *history.previous_total;
    scored.change_since_previous = change;
    summary += ", " + format_tenths(change, true) + " since last time";
    // When the previous administration was the intake, the change since intake has
    // said it already.
    if (history.earlier_administrations >= 2 && std::abs(change) >= rules.reliable_change) {
      scored.flags.push_back({change > 0 ? FlagCode::reliable_change_up : FlagCode::reliable_change_down,
                              std::string("A reliable change since last session: ") +
                                  format_tenths(change, true) + " points."});
    }
  }
  if (scored.outcome_category) {
    summary += "; outcome so far: " + in_sentence(outcome_category_words(*scored.outcome_category));
  }

  // Expected treatment response: only with an installed table for this measure, from
  // the second session on (the intake is the row's starting point).
  const ExpectedResponseTable* table = rules.expected_response.get();
  if (table != nullptr && table->measure() == measure.code && history.intake_total &&
      scored.session_number >= 2) {
    if (const auto expectation = table->expectation(*history.intake_total, scored.session_number)) {
      scored.expected_total = expectation->expected;
      scored.on_track = scored.total >= expectation->off_track_below;
      if (*scored.on_track) {
        summary += "; on track (expected " + format_tenths(expectation->expected) + ")";
      } else {
        scored.flags.push_back({FlagCode::off_track, "Below the expected response for session " +
                                                 std::to_string(scored.session_number) + ": expected " +
                                                 format_tenths(expectation->expected) + ", threshold " +
                                                 format_tenths(expectation->off_track_below) + "."});
        summary += "; off track (expected " + format_tenths(expectation->expected) + ", threshold " +
                   format_tenths(expectation->off_track_below) + ")";
      }
    }
  }
  scored.summary = summary + ".";
}

void score_session_rating(ScoredMeasure& scored, const MeasureDefinition& measure,
                          const MeasureHistory& history, const ScoringRules& rules) {
  scored.cutoff = rules.alliance_cutoff;
  scored.in_concern_range = scored.total < rules.alliance_cutoff;
  std::string summary = measure.code + " " + format_tenths(scored.total);
  if (scored.in_concern_range) {
    scored.flags.push_back({FlagCode::alliance_concern, "Below " + format_tenths(rules.alliance_cutoff) +
                                                    ": ask what could make the sessions fit better."});
    summary += ", below " + format_tenths(rules.alliance_cutoff);
  }
  for (size_t index = 0; index < scored.item_scores.size() && index < measure.items.size(); ++index) {
    if (scored.item_scores[index] < rules.item_cutoff) {
      scored.flags.push_back({FlagCode::item_check_in, "Check in about " + measure.items[index].short_name + ": rated " +
                                                   format_tenths(scored.item_scores[index]) + "."});
    }
  }
  if (history.previous_total) {
    const Tenths change = scored.total - *history.previous_total;
    scored.change_since_previous = change;
    summary += "; " + format_tenths(change, true) + " since last session";
    if (-change >= rules.alliance_drop) {
      scored.flags.push_back({FlagCode::alliance_drop, "Dropped " + format_tenths(-change) +
                                                   " points since last session: talk about it now."});
    }
  }
  if (history.intake_total) scored.change_since_intake = scored.total - *history.intake_total;
  scored.summary = summary + ".";
}

}  // namespace

ScoredMeasure score_measure(const MeasureDefinition& measure, const std::vector<Tenths>& item_scores,
                            int age_years, const MeasureHistory& history, const ScoringRules& rules) {
  ScoredMeasure scored;
  scored.kind = measure.kind;
  scored.item_scores = item_scores;
  scored.total = std::accumulate(item_scores.begin(), item_scores.end(), Tenths{0});
  scored.session_number = history.earlier_sessions + 1;
  scored.age_band = age_band_for(age_years, rules);
  if (measure.kind == MeasureKind::outcome_rating_scale) {
    score_outcome(scored, measure, history, rules);
  } else {
    score_session_rating(scored, measure, history, rules);
  }
  return scored;
}

}  // namespace alliance
