#pragma once

// Names for the plugin ABI's integer codes, both ways: for messages and the record
// (code -> name) and for the scenario file (name -> code).

#include <telehealth/plugin_abi.h>

#include <optional>
#include <string>
#include <string_view>

namespace host_sim {

// "THP_OK", "THP_ERROR_NOT_FOUND", ...; unknown codes become "status 42".
std::string status_name(thp_status status);
// Scenario spelling of a status: "ok", "not_found", ...
std::optional<thp_status> status_from_short_name(std::string_view name);
std::string_view status_short_names();

// "debug", "info", "warning", "error"; unknown levels become "level 7".
std::string log_level_name(thp_log_level level);

std::string_view role_name(thp_participant_role role);
std::optional<thp_participant_role> role_from_name(std::string_view name);
std::string_view role_names();

std::string_view appointment_kind_name(thp_appointment_kind kind);
std::optional<thp_appointment_kind> appointment_kind_from_name(std::string_view name);
std::string_view appointment_kind_names();

std::string_view medium_name(thp_session_medium medium);
std::optional<thp_session_medium> medium_from_name(std::string_view name);
std::string_view medium_names();

std::string_view close_reason_name(thp_panel_close_reason reason);
std::optional<thp_panel_close_reason> close_reason_from_name(std::string_view name);
std::string_view close_reason_names();

}  // namespace host_sim
