// One completed measure: who answered what, when, in which session, and how it
// scored. This is what the store keeps and what the FHIR mapping will turn into a
// QuestionnaireResponse and Observations.
#pragma once

#include <string>
#include <vector>

#include "measures/scored_measure.hpp"

namespace alliance {

struct Administration {
  std::string administration_id;  // random UUID; also the FHIR identifier value
  std::string session_id;          // host's session id
  std::string client_key;          // whose trajectory this belongs to (see client_key_for)
  std::string participant_id;
  std::string patient_reference;       // "Patient/…" or empty
  std::string practitioner_reference;  // the session's clinician, or empty
  std::string encounter_reference;     // or empty
  std::string questionnaire;           // canonical "url|version"
  std::string measure_code = "ORS";    // which measure (kMeasureCodes): ORS, CORS, GSRS, ...
  std::string language = "en";         // the Questionnaire's language, as the client read it
  // "completed", or "stopped" for a declined or abandoned measure (recorded when
  // measures.record_not_completed is on): then there are no scores.
  std::string status = "completed";
  std::string not_completed_reason;    // declined, dismissed, participant_left, session_ended
  // Filled in by another person (a parent for a child): the rater's RelatedPerson
  // reference (or empty) and their relationship to the client, a v3 RoleCode ("MTH").
  bool other_rater = false;
  std::string rater_reference;
  std::string relationship;
  // How the answers were given, as FHIR's questionnaireresponse-completionMode says it
  // (v3 ParticipationMode): "ELECTRONIC" on the client's own panel; "VERBAL" when the
  // therapist read the items aloud (an audio session) and entered what the client said.
  std::string completion_mode = "ELECTRONIC";
  // VERBAL: the Practitioner who read the items and entered the answers (or empty when
  // the host gave no reference for them).
  std::string entered_by_reference;
  std::string authored_at;             // RFC 3339 UTC, when it was submitted
  int age_years = -1;
  std::vector<std::string> item_link_ids;  // the Questionnaire's linkIds, in item order
  ScoredMeasure scored;
};

}  // namespace alliance
