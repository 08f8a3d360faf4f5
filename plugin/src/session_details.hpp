// Owned copies of what the host tells the plugin about a session. The ABI's structs
// are borrowed for the duration of a hook; the hook copies them into these (after
// bounding and checking them) and hands the copies to the worker thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "telehealth/plugin_abi.h"

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

// Bounds on host data, as the ABI header states them (THP_MAXIMUM_*): far above real
// values, low enough that a broken host cannot make the plugin allocate without limit.
constexpr size_t kMaximumIdentifierBytes = THP_MAXIMUM_IDENTIFIER_BYTES;
constexpr size_t kMaximumTextBytes = THP_MAXIMUM_TEXT_BYTES;
constexpr size_t kMaximumParticipants = THP_MAXIMUM_PARTICIPANTS;

// What the header promises for each field: a required identifier (session_id,
// participant_id) that is empty, too long, not UTF-8 or holds a NUL makes the copy
// fail with `error`, as do a NULL or too small struct, an unknown enum value, too many
// participants or two with one id. Everything else is repaired (display_name) or
// dropped (optional fields) and one line per field is added to `adjustments`, naming
// the field and what was done, never its value: "field=birth_date action=dropped
// reason=not_yyyy_mm_dd". `error` never holds PHI either.
std::optional<std::string> copy_identifier(thp_str text, const char* what, std::string& error);
std::optional<Participant> copy_participant(const thp_participant* participant, std::string& error,
                                            std::vector<std::string>& adjustments);
std::optional<SessionDetails> copy_session(const thp_session* session, std::string& error,
                                           std::vector<std::string>& adjustments);
// The same, for callers that do not log adjustments (tests).
std::optional<Participant> copy_participant(const thp_participant* participant, std::string& error);
std::optional<SessionDetails> copy_session(const thp_session* session, std::string& error);

// Age in whole years on `on_date` (both "YYYY-MM-DD..."), or -1 if either is unusable.
int age_on(const std::string& birth_date, const std::string& on_date);

// The participant's age: as given by the host, else from the birth date on the
// session's date, else -1.
int effective_age(const Participant& participant, const std::string& session_date);

}  // namespace alliance
