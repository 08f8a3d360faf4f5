#include "abi_names.hpp"

#include <array>
#include <cstdint>
#include <utility>

namespace host_sim {
namespace {

template <typename Code, std::size_t Size>
using NameTable = std::array<std::pair<Code, std::string_view>, Size>;

template <typename Code, std::size_t Size>
std::optional<std::string_view> name_of(const NameTable<Code, Size>& table, Code code) {
  for (const auto& [known_code, name] : table) {
    if (known_code == code) return name;
  }
  return std::nullopt;
}

template <typename Code, std::size_t Size>
std::optional<Code> code_of(const NameTable<Code, Size>& table, std::string_view name) {
  for (const auto& [code, known_name] : table) {
    if (known_name == name) return code;
  }
  return std::nullopt;
}

constexpr NameTable<thp_status, 8> status_full_names{{
    {THP_OK, "THP_OK"},
    {THP_ERROR_INVALID_ARGUMENT, "THP_ERROR_INVALID_ARGUMENT"},
    {THP_ERROR_INCOMPATIBLE_ABI, "THP_ERROR_INCOMPATIBLE_ABI"},
    {THP_ERROR_CONFIGURATION, "THP_ERROR_CONFIGURATION"},
    {THP_ERROR_NOT_FOUND, "THP_ERROR_NOT_FOUND"},
    {THP_ERROR_UNAVAILABLE, "THP_ERROR_UNAVAILABLE"},
    {THP_ERROR_WRONG_THREAD, "THP_ERROR_WRONG_THREAD"},
    {THP_ERROR_INTERNAL, "THP_ERROR_INTERNAL"},
}};

constexpr NameTable<thp_status, 8> status_scenario_names{{
    {THP_OK, "ok"},
    {THP_ERROR_INVALID_ARGUMENT, "invalid_argument"},
    {THP_ERROR_INCOMPATIBLE_ABI, "incompatible_abi"},
    {THP_ERROR_CONFIGURATION, "configuration"},
    {THP_ERROR_NOT_FOUND, "not_found"},
    {THP_ERROR_UNAVAILABLE, "unavailable"},
    {THP_ERROR_WRONG_THREAD, "wrong_thread"},
    {THP_ERROR_INTERNAL, "internal"},
}};

constexpr NameTable<thp_log_level, 4> log_levels{{
    {THP_LOG_DEBUG, "debug"},
    {THP_LOG_INFO, "info"},
    {THP_LOG_WARNING, "warning"},
    {THP_LOG_ERROR, "error"},
}};

constexpr NameTable<thp_participant_role, 3> roles{{
    {THP_ROLE_CLIENT, "client"},
    {THP_ROLE_CLINICIAN, "clinician"},
    {THP_ROLE_OTHER_RATER, "other_rater"},
}};

constexpr NameTable<thp_appointment_kind, 4> appointment_kinds{{
    {THP_APPOINTMENT_INDIVIDUAL, "individual"},
    {THP_APPOINTMENT_COUPLE, "couple"},
    {THP_APPOINTMENT_FAMILY, "family"},
    {THP_APPOINTMENT_GROUP, "group"},
}};

constexpr NameTable<thp_session_medium, 3> media{{
    {THP_MEDIUM_VIDEO, "video"},
    {THP_MEDIUM_AUDIO, "audio"},
    {THP_MEDIUM_IN_PERSON, "in_person"},
}};

constexpr NameTable<thp_panel_close_reason, 3> close_reasons{{
    {THP_PANEL_SUBMITTED, "submitted"},
    {THP_PANEL_DISMISSED, "dismissed"},
    {THP_PANEL_PARTICIPANT_LEFT, "participant_left"},
}};

}  // namespace

std::string status_name(thp_status status) {
  if (auto name = name_of(status_full_names, status)) return std::string(*name);
  return "status " + std::to_string(status);
}

std::optional<thp_status> status_from_short_name(std::string_view name) {
  return code_of(status_scenario_names, name);
}

std::string_view status_short_names() {
  return "ok, invalid_argument, incompatible_abi, configuration, not_found, unavailable, "
         "wrong_thread, internal";
}

std::string log_level_name(thp_log_level level) {
  if (auto name = name_of(log_levels, level)) return std::string(*name);
  return "level " + std::to_string(level);
}

std::string_view role_name(thp_participant_role role) {
  return name_of(roles, role).value_or("unknown role");
}
std::optional<thp_participant_role> role_from_name(std::string_view name) {
  return code_of(roles, name);
}
std::string_view role_names() { return "client, clinician, other_rater"; }

std::string_view appointment_kind_name(thp_appointment_kind kind) {
  return name_of(appointment_kinds, kind).value_or("unknown kind");
}
std::optional<thp_appointment_kind> appointment_kind_from_name(std::string_view name) {
  return code_of(appointment_kinds, name);
}
std::string_view appointment_kind_names() { return "individual, couple, family, group"; }

std::string_view medium_name(thp_session_medium medium) {
  return name_of(media, medium).value_or("unknown medium");
}
std::optional<thp_session_medium> medium_from_name(std::string_view name) {
  return code_of(media, name);
}
std::string_view medium_names() { return "video, audio, in_person"; }

std::string_view close_reason_name(thp_panel_close_reason reason) {
  return name_of(close_reasons, reason).value_or("unknown reason");
}
std::optional<thp_panel_close_reason> close_reason_from_name(std::string_view name) {
  return code_of(close_reasons, name);
}
std::string_view close_reason_names() { return "submitted, dismissed, participant_left"; }

}  // namespace host_sim
