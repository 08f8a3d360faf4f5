// What the plugin knows of a session and its participants: owned values, copied out of
// the ABI's structs by abi/host_copy.hpp, and read by the session workflow.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>


namespace alliance {

enum class ParticipantRole { client, clinician, other_rater };
enum class AppointmentKind { individual, couple, family, group };
enum class SessionMedium { video, audio, in_person };

struct Participant {
  std::string participant_id;
  ParticipantRole role = ParticipantRole::client;
  std::string display_name;
  int age_years = -1;
  std::string birth_date;  // YYYY-MM-DD or empty
  std::string preferred_language;
  std::string fhir_reference;
  std::string rates_participant_id;  // other rater: whom they rate (ABI 1.1)
  std::string relationship;          // other rater: v3 RoleCode ("MTH"), or empty
};

struct SessionDetails {
  std::string session_id;
  AppointmentKind appointment_kind = AppointmentKind::individual;
  SessionMedium medium = SessionMedium::video;
  std::string start_time;  // RFC 3339 or empty
  std::string encounter_reference;
  std::vector<Participant> participants;
};

// "YYYY-MM-DD" at the start of `text` (a date, or the day of an RFC 3339 time), as
// numbers; false for a day the calendar does not have (31 February).
bool parse_date(std::string_view text, int& year, int& month, int& day);

// Age in whole years on `on_date` (both "YYYY-MM-DD..."), or -1 if either is unusable.
int age_on(const std::string& birth_date, const std::string& on_date);

// The participant's age: as given by the host, else from the birth date on the
// session's date, else -1.
int effective_age(const Participant& participant, const std::string& session_date);

}  // namespace alliance
