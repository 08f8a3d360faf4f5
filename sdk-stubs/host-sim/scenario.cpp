#include "scenario.hpp"

#include "abi_names.hpp"
#include "scenario_fields.hpp"

#include <array>
#include <limits>
#include <set>
#include <utility>

namespace host_sim {
namespace {

using Json = nlohmann::ordered_json;

// Generous bounds: they only catch typos such as a timestamp pasted into "ms".
constexpr std::int64_t longest_delay_ms = 24 * 60 * 60 * 1000;
constexpr std::int64_t largest_count = 1'000'000;

constexpr std::array<std::pair<StepAction, std::string_view>, 10> action_names{{
    {StepAction::Start, "start"},
    {StepAction::End, "end"},
    {StepAction::Join, "join"},
    {StepAction::Leave, "leave"},
    {StepAction::Send, "send"},
    {StepAction::Expect, "expect"},
    {StepAction::ExpectPanel, "expect_panel"},
    {StepAction::ExpectNoPanel, "expect_no_panel"},
    {StepAction::Close, "close"},
    {StepAction::Wait, "wait"},
}};

std::optional<StepAction> action_from_name(std::string_view name) {
  for (const auto& [action, known_name] : action_names) {
    if (known_name == name) return action;
  }
  return std::nullopt;
}

bool action_calls_a_hook(StepAction action) {
  switch (action) {
    case StepAction::Start:
    case StepAction::End:
    case StepAction::Join:
    case StepAction::Leave:
    case StepAction::Send:
    case StepAction::Close:
      return true;
    default:
      return false;
  }
}

// Reads an enumeration spelled as a string, e.g. "role": "client".
template <typename Code, typename Lookup>
std::optional<Code> read_enumeration(ScenarioFields& fields, std::string_view key, bool required,
                                     Lookup lookup, std::string_view allowed) {
  std::optional<std::string> text =
      required ? fields.required_string(key) : fields.optional_string(key);
  if (!text) return std::nullopt;
  std::optional<Code> code = lookup(*text);
  if (!code) fields.error(key, "must be one of " + std::string(allowed));
  return code;
}

ScenarioParticipant parse_participant(const Json& value, std::string path,
                                      std::vector<std::string>& errors) {
  ScenarioParticipant participant;
  if (!value.is_object()) {
    errors.push_back(path + ": must be an object");
    return participant;
  }
  ScenarioFields fields(value, std::move(path), errors);
  std::optional<std::string> participant_id = fields.required_string("participant_id");
  if (participant_id && participant_id->empty()) {
    fields.error("participant_id", "must not be empty");
  }
  participant.participant_id = participant_id.value_or("");
  participant.role = read_enumeration<thp_participant_role>(fields, "role", true, role_from_name,
                                                            role_names())
                         .value_or(THP_ROLE_CLIENT);
  participant.display_name = fields.optional_string("display_name").value_or("");
  participant.age_years = static_cast<std::int32_t>(
      fields.optional_integer("age_years", -1, 200).value_or(-1));
  participant.birth_date = fields.optional_string("birth_date").value_or("");
  participant.preferred_language = fields.optional_string("preferred_language").value_or("");
  participant.fhir_reference = fields.optional_string("fhir_reference").value_or("");
  participant.rates_participant_id = fields.optional_string("rates_participant_id").value_or("");
  participant.relationship = fields.optional_string("relationship").value_or("");
  participant.present_at_start = fields.optional_bool("present_at_start").value_or(true);
  fields.reject_unread_fields();
  return participant;
}

// The participant a step names, which must be one of the session's participants.
std::string read_step_participant(ScenarioFields& fields, const ScenarioSession& session) {
  std::optional<std::string> participant_id = fields.required_string("participant");
  if (participant_id && session.find_participant(*participant_id) == nullptr) {
    fields.error("participant",
                 "\"" + *participant_id + "\" is not one of this session's participants");
  }
  return participant_id.value_or("");
}

void parse_action_fields(ScenarioFields& fields, const ScenarioSession& session,
                         ScenarioStep& step) {
  switch (step.action) {
    case StepAction::Start:
    case StepAction::End:
      break;
    case StepAction::Join:
    case StepAction::Leave:
      step.participant_id = read_step_participant(fields, session);
      break;
    case StepAction::Send: {
      if (auto raw_panel_id = fields.optional_integer("raw_panel_id", 1,
                                                      std::numeric_limits<std::int64_t>::max())) {
        step.raw_panel_id = static_cast<thp_panel_id>(*raw_panel_id);
      }
      // With a raw panel id the participant only names the sender in the transcript.
      if (!step.raw_panel_id || fields.has("participant")) {
        step.participant_id = read_step_participant(fields, session);
      }
      step.panel_title = fields.optional_string("panel");
      step.closed_ok = fields.optional_bool("closed_ok").value_or(false);
      if (const Json* message = fields.required_value("message")) {
        // A string is sent as its raw contents so that scenarios can send malformed JSON.
        step.message_text = message->is_string() ? message->get<std::string>() : message->dump();
      }
      break;
    }
    case StepAction::Expect:
      step.participant_id = read_step_participant(fields, session);
      step.panel_title = fields.optional_string("panel");
      step.message_type = fields.required_string("message_type").value_or("");
      step.count = fields.optional_integer("count", 1, largest_count).value_or(1);
      break;
    case StepAction::ExpectPanel:
      step.participant_id = read_step_participant(fields, session);
      step.panel_title = fields.optional_string("panel");
      step.any_state = fields.optional_bool("any_state").value_or(false);
      break;
    case StepAction::ExpectNoPanel:
      step.participant_id = read_step_participant(fields, session);
      step.panel_title = fields.optional_string("panel");
      step.duration_ms = fields.optional_integer("wait_ms", 0, longest_delay_ms).value_or(300);
      break;
    case StepAction::Close:
      step.participant_id = read_step_participant(fields, session);
      step.panel_title = fields.optional_string("panel");
      step.close_reason =
          read_enumeration<thp_panel_close_reason>(fields, "reason", true, close_reason_from_name,
                                                   close_reason_names())
              .value_or(THP_PANEL_SUBMITTED);
      break;
    case StepAction::Wait:
      step.duration_ms = fields.required_integer("ms", 0, longest_delay_ms).value_or(0);
      break;
  }
}

ScenarioStep parse_step(const Json& value, std::string path, const ScenarioSession& session,
                        std::vector<std::string>& errors) {
  ScenarioStep step;
  step.path = path;
  if (!value.is_object()) {
    errors.push_back(path + ": must be an object");
    return step;
  }
  ScenarioFields fields(value, std::move(path), errors);
  std::optional<std::string> action_text = fields.required_string("action");
  // Without a known action the step's other fields mean nothing, so they are not checked.
  if (!action_text) return step;
  std::optional<StepAction> action = action_from_name(*action_text);
  if (!action) {
    fields.error("action", "unknown action \"" + *action_text +
                               "\" (expected start, end, join, leave, send, expect, "
                               "expect_panel, expect_no_panel, close or wait)");
    return step;
  }
  step.action = *action;
  step.after_ms = fields.optional_integer("after_ms", 0, longest_delay_ms).value_or(0);
  step.session_id_override = fields.optional_string("session_id");
  if (fields.has("expect_status")) {
    if (!action_calls_a_hook(step.action)) {
      fields.error("expect_status", "only steps that call a plugin hook can expect a status");
      fields.optional_value("expect_status");
    } else {
      step.expected_status = read_enumeration<thp_status>(fields, "expect_status", false,
                                                          status_from_short_name,
                                                          status_short_names());
    }
  }
  parse_action_fields(fields, session, step);
  fields.reject_unread_fields("not a field of a \"" + *action_text + "\" step");
  return step;
}

ScenarioSession parse_session(const Json& value, const std::string& path,
                              std::vector<std::string>& errors) {
  ScenarioSession session;
  if (!value.is_object()) {
    errors.push_back(path + ": must be an object");
    return session;
  }
  ScenarioFields fields(value, path, errors);
  std::optional<std::string> session_id = fields.required_string("session_id");
  if (session_id && session_id->empty()) fields.error("session_id", "must not be empty");
  session.session_id = session_id.value_or("");
  session.appointment_kind =
      read_enumeration<thp_appointment_kind>(fields, "appointment_kind", true,
                                             appointment_kind_from_name, appointment_kind_names())
          .value_or(THP_APPOINTMENT_INDIVIDUAL);
  session.medium = read_enumeration<thp_session_medium>(fields, "medium", false, medium_from_name,
                                                        medium_names())
                       .value_or(THP_MEDIUM_VIDEO);
  session.start_time = fields.optional_string("start_time").value_or("");
  session.encounter_reference = fields.optional_string("encounter_reference").value_or("");
  session.post_session_window_ms =
      fields.optional_integer("post_session_window_ms", 0, longest_delay_ms)
          .value_or(THP_POST_SESSION_WINDOW_MINIMUM_SECONDS * 1000);

  if (const Json* participants = fields.required_array("participants")) {
    std::set<std::string, std::less<>> seen_ids;
    for (std::size_t index = 0; index < participants->size(); ++index) {
      std::string participant_path = fields.path_of("participants") + "[" + std::to_string(index) + "]";
      ScenarioParticipant participant =
          parse_participant((*participants)[index], participant_path, errors);
      if (!participant.participant_id.empty() &&
          !seen_ids.insert(participant.participant_id).second) {
        errors.push_back(participant_path + ".participant_id: \"" + participant.participant_id +
                         "\" is already used by another participant of this session");
      }
      session.participants.push_back(std::move(participant));
    }
  }
  // Steps are read after the participants because they refer to them.
  if (const Json* steps = fields.required_array("steps")) {
    for (std::size_t index = 0; index < steps->size(); ++index) {
      std::string step_path = fields.path_of("steps") + "[" + std::to_string(index) + "]";
      session.steps.push_back(parse_step((*steps)[index], step_path, session, errors));
    }
  }
  fields.reject_unread_fields();
  return session;
}

}  // namespace

std::string_view action_name(StepAction action) {
  for (const auto& [known_action, name] : action_names) {
    if (known_action == action) return name;
  }
  return "unknown";
}

const ScenarioParticipant* ScenarioSession::find_participant(std::string_view participant_id) const {
  for (const ScenarioParticipant& participant : participants) {
    if (participant.participant_id == participant_id) return &participant;
  }
  return nullptr;
}

ScenarioParseResult parse_scenario(std::string_view text, std::string_view fallback_name) {
  ScenarioParseResult result;
  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::parse_error& error) {
    result.errors.push_back(std::string("not valid JSON: ") + error.what());
    return result;
  }
  if (!document.is_object()) {
    result.errors.push_back("(top level): must be an object");
    return result;
  }

  Scenario scenario;
  ScenarioFields fields(document, "", result.errors);
  scenario.name = fields.optional_string("name").value_or(std::string(fallback_name));
  if (const Json* sessions = fields.required_array("sessions")) {
    if (sessions->empty()) fields.error("sessions", "must list at least one session");
    for (std::size_t index = 0; index < sessions->size(); ++index) {
      scenario.sessions.push_back(parse_session((*sessions)[index],
                                                "sessions[" + std::to_string(index) + "]",
                                                result.errors));
    }
  }
  fields.reject_unread_fields();
  if (result.errors.empty()) result.scenario = std::move(scenario);
  return result;
}

}  // namespace host_sim
