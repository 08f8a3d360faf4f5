// Which measure each participant gets: from the age band on the session date, the
// appointment kind and the participant's role (../shared/domain/pcoms.md). The rules
// are data: the age bands are in ScoringRules, the rest here, all from the
// configuration; the README lists every rule with its default and source.
#pragma once

#include <string>
#include <vector>

#include "scoring/scoring.hpp"
#include "session/session_details.hpp"

namespace alliance {

struct SelectionRules {
  // measures.enabled: the measures the clinic has switched on (and licensed).
  std::vector<std::string> enabled{std::begin(kMeasureCodes), std::end(kMeasureCodes)};
  // measures.other_rater_measure: the outcome form an other rater fills in about the
  // client (PCOMS: the ORS, as a collateral form), or "" for none.
  std::string other_rater_measure = "ORS";
  // measures.record_not_completed: a declined or abandoned measure is also written to
  // the chart, as a QuestionnaireResponse with status "stopped".
  bool record_not_completed = false;
  std::string default_language = "en";  // measures.default_language
  // measures.media: the session media whose sessions collect measures. Video opens the
  // client's own panel; audio (a phone session) gives the therapist the measure to read
  // aloud and enter; in_person opens the client's panel on the host's device, as video.
  bool collect_video = true;
  bool collect_audio = true;
  bool collect_in_person = false;
  // measures.share_srs_trend_with_client: when the therapist shows the client their
  // graph, it also holds their SRS trend (the ORS trend always).
  bool share_srs_trend_with_client = false;

  bool is_enabled(const std::string& code) const;
};

// The outcome measure (start of the session) a client answers for themselves:
// YCORS under child_from_age, CORS under adolescent_from_age, else the ORS (also when
// the age is unknown). "" when that measure is switched off.
std::string outcome_measure_for(AgeBand band, const SelectionRules& rules);

// The session rating measure (end of the session): the group versions for group
// appointments (CGSRS for children, GSRS otherwise), else CSRS for children and the
// SRS for everyone else. "" when switched off.
std::string session_rating_measure_for(AgeBand band, AppointmentKind appointment, const SelectionRules& rules);

// The form an other rater fills in: rules.other_rater_measure, if switched on.
std::string other_rater_measure_for(const SelectionRules& rules);

}  // namespace alliance
