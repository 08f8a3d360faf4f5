#include "scoring.hpp"

#include <cstdlib>
#include <numeric>

namespace alliance {

AgeBand age_band_for(int age_years, const ScoringRules& rules) {
  if (age_years < 0) return AgeBand::unknown;
  if (age_years >= rules.adult_from_age) return AgeBand::adult;
  if (age_years >= rules.adolescent_from_age) return AgeBand::adolescent;
  if (age_years >= rules.child_from_age) return AgeBand::child;
  return AgeBand::young_child;
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

void score_outcome(ScoredMeasure& scored, const MeasureHistory& history, const ScoringRules& rules) {
  scored.cutoff = outcome_cutoff_for(scored.age_band, rules);
  std::string summary = "ORS " + format_tenths(scored.total) + " (session " +
                        std::to_string(scored.session_number) + ")";
  if (scored.cutoff) {
    scored.in_concern_range = scored.total < *scored.cutoff;
    const std::string cutoff_words = format_tenths(*scored.cutoff) + " (" + describe(scored.age_band) +
                                     (scored.age_band == AgeBand::unknown ? ", adult cutoff used" : "") + ")";
    if (scored.in_concern_range) {
      scored.flags.push_back({"clinical-range", "In the clinical range: below the cutoff of " + cutoff_words + "."});
      summary += ", below the clinical cutoff of " + format_tenths(*scored.cutoff);
    } else {
      summary += ", at or above the clinical cutoff of " + format_tenths(*scored.cutoff);
    }
  } else {
    summary += "; no clinical cutoff for a young child";
  }

  if (history.intake_total) {
    const Tenths change = scored.total - *history.intake_total;
    scored.change_since_intake = change;
    summary += "; " + format_tenths(change, true) + " since intake";
    if (change >= rules.reliable_change) {
      scored.flags.push_back({"reliable-improvement", "Reliable improvement since intake: " +
                                                          format_tenths(change, true) + " points."});
    } else if (change <= -rules.reliable_change) {
      scored.flags.push_back({"reliable-deterioration", "Reliably worse than at intake: " +
                                                            format_tenths(change, true) + " points."});
    }
  }
  if (history.previous_total) {
    const Tenths change = scored.total - *history.previous_total;
    scored.change_since_previous = change;
    summary += ", " + format_tenths(change, true) + " since last time";
    // When the previous administration was the intake, the change since intake has
    // said it already.
    if (history.earlier_administrations >= 2 && std::abs(change) >= rules.reliable_change) {
      scored.flags.push_back({change > 0 ? "reliable-change-up" : "reliable-change-down",
                              std::string("A reliable change since last session: ") +
                                  format_tenths(change, true) + " points."});
    }
  }
  scored.summary = summary + ".";
}

void score_session_rating(ScoredMeasure& scored, const MeasureDefinition& measure,
                          const MeasureHistory& history, const ScoringRules& rules) {
  scored.cutoff = rules.alliance_cutoff;
  scored.in_concern_range = scored.total < rules.alliance_cutoff;
  std::string summary = "SRS " + format_tenths(scored.total);
  if (scored.in_concern_range) {
    scored.flags.push_back({"alliance-concern", "Below " + format_tenths(rules.alliance_cutoff) +
                                                    ": ask what could make the sessions fit better."});
    summary += ", below " + format_tenths(rules.alliance_cutoff);
  }
  for (size_t index = 0; index < scored.item_scores.size() && index < measure.items.size(); ++index) {
    if (scored.item_scores[index] < rules.item_cutoff) {
      scored.flags.push_back({"item-check-in", "Check in about " + measure.items[index].short_name + ": rated " +
                                                   format_tenths(scored.item_scores[index]) + "."});
    }
  }
  if (history.previous_total) {
    const Tenths change = scored.total - *history.previous_total;
    scored.change_since_previous = change;
    summary += "; " + format_tenths(change, true) + " since last session";
    if (-change >= rules.alliance_drop) {
      scored.flags.push_back({"alliance-drop", "Dropped " + format_tenths(-change) +
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
    score_outcome(scored, history, rules);
  } else {
    score_session_rating(scored, measure, history, rules);
  }
  return scored;
}

}  // namespace alliance
