#include "abi/host_copy.hpp"

#include <chrono>
#include <cstddef>
#include <string_view>

#include "abi/host_text.hpp"
#include "reading/date_time.hpp"

namespace alliance {

namespace {

constexpr size_t kBirthDateBytes = 10;  // "YYYY-MM-DD"
constexpr size_t kMaximumFhirIdBytes = 64;  // FHIR's id datatype

bool dangling(thp_str text) { return text.len > 0 && text.ptr == nullptr; }

std::string_view view_of(thp_str text) { return text.len == 0 ? std::string_view() : std::string_view(text.ptr, text.len); }

// A view with a length but no characters is a host bug that no repair can undo.
bool refuse_if_dangling(thp_str text, const char* what, std::string& error) {
  if (!dangling(text)) return false;
  error = std::string(what) + " has a length but no characters";
  return true;
}

void note(std::vector<std::string>& adjustments, const char* field, const char* action, const std::string& reason) {
  adjustments.push_back(std::string("field=") + field + " action=" + action + " reason=" + reason);
}

// Why an optional field cannot be kept as it is, or empty when it can.
std::string problem_with(std::string_view text, size_t maximum) {
  if (text.size() > maximum) return "longer_than_" + std::to_string(maximum) + "_bytes";
  if (text.find('\0') != std::string_view::npos) return "contains_nul";
  if (!is_valid_utf8(text)) return "not_utf8";
  return {};
}


bool is_ascii_letter(char character) { return (character >= 'A' && character <= 'Z') || (character >= 'a' && character <= 'z'); }
bool is_ascii_digit(char character) { return character >= '0' && character <= '9'; }

// "Type/id": a FHIR resource type, "/", a FHIR id (1 to 64 of [A-Za-z0-9-.]). Nothing
// else can be a chart reference, so no other text (an old "participant:" key, a URL
// with its own host) can ever name a client's history.
bool is_relative_reference(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  const std::string_view type = text.substr(0, slash);
  const std::string_view id = text.substr(slash + 1);
  if (!(type.front() >= 'A' && type.front() <= 'Z')) return false;
  for (char character : type) {
    if (!is_ascii_letter(character)) return false;
  }
  if (id.empty() || id.size() > kMaximumFhirIdBytes) return false;
  for (char character : id) {
    if (!is_ascii_letter(character) && !is_ascii_digit(character) && character != '-' && character != '.') return false;
  }
  return true;
}

// A BCP 47 tag's characters: letters, digits and hyphens, starting with a letter.
bool looks_like_language_tag(std::string_view text) {
  if (text.empty() || !is_ascii_letter(text.front())) return false;
  for (char character : text) {
    if (!is_ascii_letter(character) && !is_ascii_digit(character) && character != '-') return false;
  }
  return true;
}

// An optional field: kept when `acceptable`, else dropped with a note. Returns false
// only for a dangling view.
template <typename Acceptable>
bool copy_optional(thp_str text, size_t maximum, const char* field, std::string& out, std::string& error,
                   std::vector<std::string>& adjustments, const char* malformed_reason, Acceptable acceptable) {
  out.clear();
  if (refuse_if_dangling(text, field, error)) return false;
  const std::string_view raw = view_of(text);
  if (raw.empty()) return true;
  std::string problem = problem_with(raw, maximum);
  if (problem.empty() && !acceptable(raw)) problem = malformed_reason;
  if (!problem.empty()) {
    note(adjustments, field, "dropped", problem);
    return true;
  }
  out.assign(raw);
  return true;
}

bool anything(std::string_view) { return true; }

}  // namespace

std::optional<std::string> copy_identifier(thp_str text, const char* what, std::string& error) {
  if (refuse_if_dangling(text, what, error)) return std::nullopt;
  const std::string_view raw = view_of(text);
  if (raw.empty()) {
    error = std::string(what) + " is empty";
    return std::nullopt;
  }
  if (raw.size() > kMaximumIdentifierBytes) {
    error = std::string(what) + " is longer than " + std::to_string(kMaximumIdentifierBytes) + " bytes";
    return std::nullopt;
  }
  if (raw.find('\0') != std::string_view::npos) {
    error = std::string(what) + " contains a NUL byte";
    return std::nullopt;
  }
  if (!is_valid_utf8(raw)) {
    error = std::string(what) + " is not valid UTF-8";
    return std::nullopt;
  }
  return std::string(raw);
}

std::optional<Participant> copy_participant(const thp_participant* participant, std::string& error,
                                            std::vector<std::string>& adjustments) {
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
  // Fields in the order the header declares them, so the notes come in that order.
  if (refuse_if_dangling(participant->display_name, "display_name", error)) return std::nullopt;
  RepairedText name = repair_text(view_of(participant->display_name), kMaximumTextBytes);
  if (name.replaced) note(adjustments, "display_name", "repaired", "not_utf8");
  if (name.cut) note(adjustments, "display_name", "cut", "longer_than_" + std::to_string(kMaximumTextBytes) + "_bytes");
  copy.display_name = std::move(name.text);
  copy.age_years = participant->age_years;
  if (copy.age_years < -1 || copy.age_years > 150) {
    note(adjustments, "age_years", "dropped", "out_of_range");
    copy.age_years = -1;
  }
  const auto is_date = [](std::string_view text) {
    int year = 0, month = 0, day = 0;
    return text.size() == kBirthDateBytes && parse_date(text, year, month, day);
  };
  if (!copy_optional(participant->birth_date, kBirthDateBytes, "birth_date", copy.birth_date, error, adjustments,
                     "not_yyyy_mm_dd", is_date) ||
      !copy_optional(participant->preferred_language, THP_MAXIMUM_LANGUAGE_TAG_BYTES, "preferred_language",
                     copy.preferred_language, error, adjustments, "not_a_language_tag", looks_like_language_tag) ||
      !copy_optional(participant->fhir_reference, kMaximumIdentifierBytes, "fhir_reference", copy.fhir_reference,
                     error, adjustments, "not_type_slash_id", is_relative_reference)) {
    return std::nullopt;
  }
  if (THP_HAS_MEMBER(participant, thp_participant, relationship)) {
    if (!copy_optional(participant->rates_participant_id, kMaximumIdentifierBytes, "rates_participant_id",
                       copy.rates_participant_id, error, adjustments, "", anything) ||
        !copy_optional(participant->relationship, THP_MAXIMUM_RELATIONSHIP_BYTES, "relationship", copy.relationship,
                       error, adjustments, "", anything)) {
      return std::nullopt;
    }
  }
  return copy;
}

std::optional<Participant> copy_participant(const thp_participant* participant, std::string& error) {
  std::vector<std::string> adjustments;
  return copy_participant(participant, error, adjustments);
}

std::optional<SessionDetails> copy_session(const thp_session* session, std::string& error,
                                           std::vector<std::string>& adjustments) {
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
  // The date of the session decides a participant's age (and so their measure): a time
  // that two readers could take differently, or one that would wrap, is dropped (the
  // session then counts as starting now).
  const auto is_time = [](std::string_view text) { return fhir::read_rfc3339(text).has_value(); };
  if (!copy_optional(session->start_time, THP_MAXIMUM_TIME_BYTES, "start_time", copy.start_time, error, adjustments,
                     "not_rfc3339_from_1900_to_2199", is_time) ||
      !copy_optional(session->encounter_reference, kMaximumIdentifierBytes, "encounter_reference",
                     copy.encounter_reference, error, adjustments, "not_type_slash_id", is_relative_reference)) {
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
    auto participant = copy_participant(session->participants[index], error, adjustments);
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

std::optional<SessionDetails> copy_session(const thp_session* session, std::string& error) {
  std::vector<std::string> adjustments;
  return copy_session(session, error, adjustments);
}

}  // namespace alliance
