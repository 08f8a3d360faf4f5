#include "session/measure_selection.hpp"

#include <algorithm>

namespace alliance {

namespace {

std::string if_enabled(const char* code, const SelectionRules& rules) {
  return rules.is_enabled(code) ? std::string(code) : std::string();
}

bool is_child(AgeBand band) { return band == AgeBand::child || band == AgeBand::young_child; }

}  // namespace

bool SelectionRules::is_enabled(const std::string& code) const {
  return std::find(enabled.begin(), enabled.end(), code) != enabled.end();
}

std::string outcome_measure_for(AgeBand band, const SelectionRules& rules) {
  switch (band) {
    case AgeBand::young_child: return if_enabled("YCORS", rules);
    case AgeBand::child: return if_enabled("CORS", rules);
    case AgeBand::adolescent:
    case AgeBand::adult:
    case AgeBand::unknown: return if_enabled("ORS", rules);
  }
  return {};
}

std::string session_rating_measure_for(AgeBand band, AppointmentKind appointment, const SelectionRules& rules) {
  if (appointment == AppointmentKind::group) return if_enabled(is_child(band) ? "CGSRS" : "GSRS", rules);
  return if_enabled(is_child(band) ? "CSRS" : "SRS", rules);
}

std::string other_rater_measure_for(const SelectionRules& rules) {
  if (rules.other_rater_measure.empty() || !rules.is_enabled(rules.other_rater_measure)) return {};
  return rules.other_rater_measure;
}

}  // namespace alliance
