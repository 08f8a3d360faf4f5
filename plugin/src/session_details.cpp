#include "session_details.hpp"

#include <chrono>
#include <cstddef>
#include <string_view>

#include "date_time.hpp"

namespace alliance {

namespace {

bool copy_text(thp_str text, size_t maximum, const char* what, std::string& out, std::string& error) {
  if (text.len == 0) {
    out.clear();
    return true;
  }
  if (text.ptr == nullptr) {
    error = std::string(what) + " has a length but no characters";
    return false;
  }
  if (text.len > maximum) {
    error = std::string(what) + " is longer than " + std::to_string(maximum) + " bytes";
    return false;
  }
  out.assign(text.ptr, text.len);
  return true;
}

// "YYYY-MM-DD" at the start of `text` (a date, or the day of an RFC 3339 time as the
// host wrote it), as numbers; a day the calendar does not have is refused.
bool parse_date(const std::string& text, int& year, int& month, int& day) {
  if (text.size() < 10) return false;
  const std::optional<fhir::TimePoint> midnight = fhir::read_fhir_date_time(std::string_view(text).substr(0, 10));
  if (!midnight) return false;
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(*midnight)};
  year = static_cast<int>(date.year());
  month = static_cast<int>(static_cast<unsigned>(date.month()));
  day = static_cast<int>(static_cast<unsigned>(date.day()));
  return true;
}

}  // namespace

std::optional<std::string> copy_identifier(thp_str text, const char* what, std::string& error) {
  std::string out;
  if (!copy_text(text, kMaximumIdentifierBytes, what, out, error)) return std::nullopt;
  if (out.empty()) {
    error = std::string(what) + " is empty";
    return std::nullopt;
  }
  return out;
}

std::optional<Participant> copy_participant(const thp_participant* participant, std::string& error) {
  if (participant == nullptr) {
    error = "a participant is NULL";
    return std::nullopt;
  }
  // A 1.0 host's participant ends after fhir_reference; the 1.1 members are optional.
  if (participant->struct_size < offsetof(thp_participant, rates_participant_id)) {
    error = "a participant's struct_size is smaller than ABI 1.0's thp_participant";
    return std::nullopt;
  }
  Participant copy;
  auto identifier = copy_identifier(participant->participant_id, "participant_id", error);
  if (!identifier) return std::nullopt;
  copy.participant_id = std::move(*identifier);
  switch (participant->role) {
    case THP_ROLE_CLIENT: copy.role = ParticipantRole::client; break;
    case THP_ROLE_CLINICIAN: copy.role = ParticipantRole::clinician; break;
    case THP_ROLE_OTHER_RATER: copy.role = ParticipantRole::other_rater; break;
    default: error = "a participant has an unknown role " + std::to_string(participant->role); return std::nullopt;
  }
  if (!copy_text(participant->display_name, kMaximumTextBytes, "display_name", copy.display_name, error) ||
      !copy_text(participant->birth_date, 32, "birth_date", copy.birth_date, error) ||
      !copy_text(participant->preferred_language, 64, "preferred_language", copy.preferred_language, error) ||
      !copy_text(participant->fhir_reference, kMaximumIdentifierBytes, "fhir_reference", copy.fhir_reference,
                 error)) {
    return std::nullopt;
  }
  if (THP_HAS_MEMBER(participant, thp_participant, relationship)) {
    if (!copy_text(participant->rates_participant_id, kMaximumIdentifierBytes, "rates_participant_id",
                   copy.rates_participant_id, error) ||
        !copy_text(participant->relationship, 16, "relationship", copy.relationship, error)) {
      return std::nullopt;
    }
  }
  if (participant->age_years < -1 || participant->age_years > 150) {
    error = "a participant's age_years is out of range";
    return std::nullopt;
  }
  copy.age_years = participant->age_years;
  int year = 0, month = 0, day = 0;
  if (!copy.birth_date.empty() && !parse_date(copy.birth_date, year, month, day)) {
    error = "a participant's birth_date is not a YYYY-MM-DD date from 1900 to 2199";
    return std::nullopt;
  }
  return copy;
}

std::optional<SessionDetails> copy_session(const thp_session* session, std::string& error) {
  if (session == nullptr) {
    error = "the session is NULL";
    return std::nullopt;
  }
  if (session->struct_size < sizeof(thp_session)) {
    error = "the session's struct_size is smaller than ABI 1.0's thp_session";
    return std::nullopt;
  }
  SessionDetails copy;
  auto identifier = copy_identifier(session->session_id, "session_id", error);
  if (!identifier) return std::nullopt;
  copy.session_id = std::move(*identifier);
  switch (session->appointment_kind) {
    case THP_APPOINTMENT_INDIVIDUAL: copy.appointment_kind = AppointmentKind::individual; break;
    case THP_APPOINTMENT_COUPLE: copy.appointment_kind = AppointmentKind::couple; break;
    case THP_APPOINTMENT_FAMILY: copy.appointment_kind = AppointmentKind::family; break;
    case THP_APPOINTMENT_GROUP: copy.appointment_kind = AppointmentKind::group; break;
    default: error = "unknown appointment_kind " + std::to_string(session->appointment_kind); return std::nullopt;
  }
  switch (session->medium) {
    case THP_MEDIUM_VIDEO: copy.medium = SessionMedium::video; break;
    case THP_MEDIUM_AUDIO: copy.medium = SessionMedium::audio; break;
    case THP_MEDIUM_IN_PERSON: copy.medium = SessionMedium::in_person; break;
    default: error = "unknown medium " + std::to_string(session->medium); return std::nullopt;
  }
  if (!copy_text(session->start_time, 64, "start_time", copy.start_time, error) ||
      !copy_text(session->encounter_reference, kMaximumIdentifierBytes, "encounter_reference",
                 copy.encounter_reference, error)) {
    return std::nullopt;
  }
  // The date of the session decides a participant's age (and so their measure): a time
  // that two readers could take differently, or one that would wrap, is refused.
  if (!copy.start_time.empty() && !fhir::read_rfc3339(copy.start_time)) {
    error = "start_time is not an RFC 3339 date-time (\"2026-11-02T15:00:00Z\") in a year from 1900 to 2199";
    return std::nullopt;
  }
  if (session->participant_count > kMaximumParticipants) {
    error = "more than " + std::to_string(kMaximumParticipants) + " participants";
    return std::nullopt;
  }
  if (session->participant_count > 0 && session->participants == nullptr) {
    error = "participant_count is set but participants is NULL";
    return std::nullopt;
  }
  for (size_t index = 0; index < session->participant_count; ++index) {
    auto participant = copy_participant(session->participants[index], error);
    if (!participant) return std::nullopt;
    for (const Participant& earlier : copy.participants) {
      if (earlier.participant_id == participant->participant_id) {
        error = "two participants share one participant_id";
        return std::nullopt;
      }
    }
    copy.participants.push_back(std::move(*participant));
  }
  return copy;
}

int age_on(const std::string& birth_date, const std::string& on_date) {
  int birth_year = 0, birth_month = 0, birth_day = 0;
  int year = 0, month = 0, day = 0;
  if (!parse_date(birth_date, birth_year, birth_month, birth_day) || !parse_date(on_date, year, month, day)) return -1;
  int age = year - birth_year;
  // Not yet had this year's birthday (a birthday on the session date counts as had).
  if (month < birth_month || (month == birth_month && day < birth_day)) --age;
  return age < 0 ? -1 : age;
}

int effective_age(const Participant& participant, const std::string& session_date) {
  if (participant.age_years >= 0) return participant.age_years;
  if (participant.birth_date.empty()) return -1;
  return age_on(participant.birth_date, session_date);
}

}  // namespace alliance
