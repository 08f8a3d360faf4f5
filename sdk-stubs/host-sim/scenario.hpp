#pragma once

// A scenario file, parsed and validated up front so that a typo is reported (with
// its JSON path) before the plugin is loaded, never halfway through a run.

#include <telehealth/plugin_abi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace host_sim {

struct ScenarioParticipant {
  std::string participant_id;
  thp_participant_role role = THP_ROLE_CLIENT;
  std::string display_name;
  std::int32_t age_years = -1;
  std::string birth_date;
  std::string preferred_language;
  std::string fhir_reference;
  std::string rates_participant_id;  // other rater: the client they rate
  std::string relationship;          // other rater: v3 RoleCode
  bool present_at_start = true;
};

enum class StepAction { Start, End, Join, Leave, Send, Expect, ExpectPanel, ExpectNoPanel, Close, Wait };

std::string_view action_name(StepAction action);

struct ScenarioStep {
  StepAction action = StepAction::Wait;
  // Where the step is in the file, e.g. "sessions[0].steps[3]", for failure messages.
  std::string path;
  std::int64_t after_ms = 0;
  // Sent to the plugin instead of the session's own id (to test unknown sessions).
  std::optional<std::string> session_id_override;
  // When set, the hook this step calls must return exactly this status.
  std::optional<thp_status> expected_status;

  // Empty when the action names no participant (only "send" with raw_panel_id).
  std::string participant_id;
  // Substring of the panel title; empty optional matches any panel.
  std::optional<std::string> panel_title;

  // send
  std::string message_text;
  bool closed_ok = false;
  std::optional<thp_panel_id> raw_panel_id;

  // expect
  std::string message_type;
  std::int64_t count = 1;

  // expect_panel
  bool any_state = false;

  // expect_no_panel (wait_ms) and wait (ms)
  std::int64_t duration_ms = 0;

  // close
  thp_panel_close_reason close_reason = THP_PANEL_SUBMITTED;
};

struct ScenarioSession {
  std::string session_id;
  thp_appointment_kind appointment_kind = THP_APPOINTMENT_INDIVIDUAL;
  thp_session_medium medium = THP_MEDIUM_VIDEO;
  std::string start_time;
  std::string encounter_reference;
  // How long the host keeps the post-session window open after "end" (the ABI
  // header's minimum unless the scenario shortens it to exercise the closing).
  std::int64_t post_session_window_ms = THP_POST_SESSION_WINDOW_MINIMUM_SECONDS * 1000;
  std::vector<ScenarioParticipant> participants;
  std::vector<ScenarioStep> steps;

  const ScenarioParticipant* find_participant(std::string_view participant_id) const;
};

struct Scenario {
  std::string name;
  std::vector<ScenarioSession> sessions;
};

struct ScenarioParseResult {
  std::optional<Scenario> scenario;  // set only when there are no errors
  std::vector<std::string> errors;   // each "json.path: problem"
};

// `fallback_name` names the scenario when the file has no "name".
ScenarioParseResult parse_scenario(std::string_view text, std::string_view fallback_name);

}  // namespace host_sim
