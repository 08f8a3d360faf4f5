#include "scenario_runner.hpp"

#include "abi_names.hpp"
#include "participant_view.hpp"

#include <utility>

namespace host_sim {
namespace {

using Clock = std::chrono::steady_clock;

// How much longer than its own timeout the plugin's shutdown may take before the run
// counts it as a failure: the plugin needs a moment to stop its threads after giving
// up on its work.
constexpr std::chrono::milliseconds shutdown_grace{1000};

const std::string& session_id_for(const ScenarioSession& session, const ScenarioStep& step) {
  return step.session_id_override ? *step.session_id_override : session.session_id;
}

std::string panel_phrase(const ScenarioStep& step) {
  if (!step.panel_title) return "panel";
  return "panel titled like \"" + *step.panel_title + "\"";
}

PanelQuery query_for(const std::string& session_id, const ScenarioStep& step, PanelStates states) {
  return PanelQuery{session_id, step.participant_id, step.panel_title, states};
}

std::int64_t micros_since(Clock::time_point started) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
}

}  // namespace

ScenarioRunner::ScenarioRunner(const Scenario& scenario, const thp_plugin_api& plugin, Host& host,
                               Transcript& transcript, HookWatchdog& watchdog,
                               RunSettings settings)
    : scenario_(scenario),
      plugin_(plugin),
      host_(host),
      transcript_(transcript),
      watchdog_(watchdog),
      settings_(settings) {}

RunOutcome ScenarioRunner::run() {
  transcript_.heading("== Scenario: " + scenario_.name);
  for (const ScenarioSession& session : scenario_.sessions) {
    introduce(session);
    for (const ScenarioStep& step : session.steps) {
      if (step.after_ms > 0) host_.run_tasks_for(std::chrono::milliseconds(step.after_ms));
      close_expired_windows();
      if (StepResult failure = run_step(session, step)) {
        ++outcome_.failed_steps;
        host_.record_failure(step.path + " (" + std::string(action_name(step.action)) + "): " +
                             *failure);
      }
      host_.run_ready_tasks();
    }
  }
  shut_down();
  summarize();
  return std::move(outcome_);
}

void ScenarioRunner::introduce(const ScenarioSession& session) {
  std::string line = "-- Session " + session.session_id + " (" +
                     std::string(appointment_kind_name(session.appointment_kind)) + ", " +
                     std::string(medium_name(session.medium)) + "):";
  bool first = true;
  for (const ScenarioParticipant& participant : session.participants) {
    line += first ? " " : ", ";
    first = false;
    line += (participant.display_name.empty() ? participant.participant_id
                                              : participant.display_name) +
            " (" + std::string(role_name(participant.role)) +
            (participant.present_at_start ? ")" : ", joins later)");
  }
  if (first) line += " no participants";
  transcript_.heading(line);
}

ScenarioRunner::StepResult ScenarioRunner::run_step(const ScenarioSession& session,
                                                    const ScenarioStep& step) {
  switch (step.action) {
    case StepAction::Start:
      return start(session, step);
    case StepAction::End:
      return end(session, step);
    case StepAction::Join:
      return join(session, step);
    case StepAction::Leave:
      return leave(session, step);
    case StepAction::Send:
      return send(session, step);
    case StepAction::Expect:
      return expect(session, step);
    case StepAction::ExpectPanel:
      return expect_panel(session, step);
    case StepAction::ExpectNoPanel:
      return expect_no_panel(session, step);
    case StepAction::Close:
      return close(session, step);
    case StepAction::Wait:
      host_.run_tasks_for(std::chrono::milliseconds(step.duration_ms));
      close_expired_windows();
      return std::nullopt;
  }
  return "unknown action";
}

void ScenarioRunner::close_expired_windows() {
  for (const Host::WindowClosing& closing : host_.close_expired_windows()) {
    transcript_.event("host: the post-session window of session " + closing.session_id +
                      " closed; closed panel " + std::to_string(closing.panel_id) +
                      " (participant_left)");
    call_hook("panel_closed", [&] {
      return plugin_.panel_closed(plugin_.plugin, closing.panel_id, THP_PANEL_PARTICIPANT_LEFT);
    });
  }
}

template <typename Call>
thp_status ScenarioRunner::call_hook(const char* hook, Call&& call) {
  thp_status status = THP_OK;
  std::int64_t micros = 0;
  {
    WatchdogScope watch(watchdog_, std::string("the plugin's ") + hook + " hook",
                        settings_.step_timeout);
    Clock::time_point started = Clock::now();
    status = call();
    micros = micros_since(started);
  }
  outcome_.hook_calls.push_back({hook, status, micros});
  if (status != THP_OK) {
    transcript_.event(std::string("plugin's ") + hook + " returned " + status_name(status));
  }
  return status;
}

ScenarioRunner::StepResult ScenarioRunner::check_status(const ScenarioStep& step,
                                                        thp_status status) const {
  if (!step.expected_status || *step.expected_status == status) return std::nullopt;
  return "the plugin returned " + status_name(status) + " but the step expects " +
         status_name(*step.expected_status);
}

std::string ScenarioRunner::name_of(const std::string& session_id,
                                    const std::string& participant_id) const {
  std::string name;
  host_.inspect([&](const HostState& state) { name = state.display_name(session_id, participant_id); });
  return name;
}

std::string ScenarioRunner::panels_of(const std::string& session_id,
                                      const std::string& participant_id) const {
  std::string description;
  host_.inspect([&](const HostState& state) {
    description = state.describe_panels_of(session_id, participant_id);
  });
  return description;
}

ScenarioRunner::StepResult ScenarioRunner::start(const ScenarioSession& session,
                                                 const ScenarioStep& step) {
  const std::string& session_id = session_id_for(session, step);
  std::vector<std::pair<std::string, Attendee>> attendees;
  std::vector<thp_participant> present;
  for (const ScenarioParticipant& participant : session.participants) {
    attendees.push_back({participant.participant_id,
                         Attendee{participant.display_name, participant.present_at_start}});
    if (participant.present_at_start) present.push_back(participant_view(participant));
  }
  // Pointers are taken only once `present` has stopped growing.
  std::vector<const thp_participant*> present_pointers;
  for (const thp_participant& participant : present) present_pointers.push_back(&participant);
  host_.register_session(session_id, attendees);

  thp_session started{};
  started.struct_size = sizeof(thp_session);
  started.session_id = view(session_id);
  started.appointment_kind = session.appointment_kind;
  started.medium = session.medium;
  started.start_time = view(session.start_time);
  started.encounter_reference = view(session.encounter_reference);
  started.participants = present_pointers.data();
  started.participant_count = present_pointers.size();

  transcript_.event("host: session " + session_id + " started");
  thp_status status =
      call_hook("session_started", [&] { return plugin_.session_started(plugin_.plugin, &started); });
  return check_status(step, status);
}

ScenarioRunner::StepResult ScenarioRunner::end(const ScenarioSession& session,
                                               const ScenarioStep& step) {
  const std::string& session_id = session_id_for(session, step);
  transcript_.event("host: session " + session_id + " ended");
  host_.end_session(session_id, std::chrono::milliseconds(session.post_session_window_ms));
  thp_status status = call_hook(
      "session_ended", [&] { return plugin_.session_ended(plugin_.plugin, view(session_id)); });
  return check_status(step, status);
}

ScenarioRunner::StepResult ScenarioRunner::join(const ScenarioSession& session,
                                                const ScenarioStep& step) {
  const std::string& session_id = session_id_for(session, step);
  const ScenarioParticipant* participant = session.find_participant(step.participant_id);
  if (participant == nullptr) return "unknown participant " + step.participant_id;
  thp_participant joined = participant_view(*participant);
  host_.set_present(session_id, step.participant_id, true);
  transcript_.event("host: " + name_of(session_id, step.participant_id) + " joined");
  thp_status status = call_hook("participant_joined", [&] {
    return plugin_.participant_joined(plugin_.plugin, view(session_id), &joined);
  });
  return check_status(step, status);
}

ScenarioRunner::StepResult ScenarioRunner::leave(const ScenarioSession& session,
                                                 const ScenarioStep& step) {
  const std::string& session_id = session_id_for(session, step);
  const std::string name = name_of(session_id, step.participant_id);
  // Absent first, so that a plugin thread cannot open a new panel for them meanwhile.
  host_.set_present(session_id, step.participant_id, false);
  transcript_.event("host: " + name + " left");
  // As a real host does, the leaver's panels go away before the plugin hears of it.
  for (thp_panel_id panel_id :
       host_.close_open_panels_of(session_id, step.participant_id, THP_PANEL_PARTICIPANT_LEFT)) {
    transcript_.event("host: closed panel " + std::to_string(panel_id) + " of " + name +
                      " (participant_left)");
    call_hook("panel_closed", [&] {
      return plugin_.panel_closed(plugin_.plugin, panel_id, THP_PANEL_PARTICIPANT_LEFT);
    });
  }
  thp_status status = call_hook("participant_left", [&] {
    return plugin_.participant_left(plugin_.plugin, view(session_id), view(step.participant_id));
  });
  return check_status(step, status);
}

thp_panel_id ScenarioRunner::wait_for_panel(const std::string& session_id,
                                            const ScenarioStep& step, PanelStates states) {
  PanelQuery query = query_for(session_id, step, states);
  thp_panel_id found = 0;
  host_.run_tasks_until(
      [&](const HostState& state) {
        const PanelRecord* panel = state.latest_panel(query);
        if (panel != nullptr) found = panel->panel_id;
        return panel != nullptr;
      },
      Clock::now() + settings_.step_timeout);
  return found;
}

ScenarioRunner::StepResult ScenarioRunner::send(const ScenarioSession& session,
                                                const ScenarioStep& step) {
  const std::string& session_id = session_id_for(session, step);
  thp_panel_id panel_id = 0;
  if (step.raw_panel_id) {
    panel_id = *step.raw_panel_id;
  } else {
    PanelStates states = step.closed_ok ? PanelStates::Any : PanelStates::OpenOnly;
    panel_id = wait_for_panel(session_id, step, states);
    if (panel_id == 0) {
      return std::string("no ") + (step.closed_ok ? "" : "open ") + panel_phrase(step) + " for " +
             name_of(session_id, step.participant_id) + " within " +
             std::to_string(settings_.step_timeout.count()) + " ms; panels:" +
             panels_of(session_id, step.participant_id);
    }
  }
  std::string sender =
      step.participant_id.empty() ? "(page)" : name_of(session_id, step.participant_id);
  host_.note_message_to_plugin(panel_id, step.message_text);
  transcript_.event(sender + " -> panel " + std::to_string(panel_id) + ": " +
                    abbreviate(step.message_text));
  thp_status status = call_hook("panel_message", [&] {
    return plugin_.panel_message(plugin_.plugin, panel_id, view(step.message_text));
  });
  return check_status(step, status);
}

ScenarioRunner::StepResult ScenarioRunner::expect(const ScenarioSession& session,
                                                  const ScenarioStep& step) {
  const std::string& session_id = session_id_for(session, step);
  // Any state: the plugin may close a panel right after its last message.
  PanelQuery query = query_for(session_id, step, PanelStates::Any);
  auto wanted = static_cast<std::size_t>(step.count);
  bool received = host_.run_tasks_until(
      [&](const HostState& state) {
        for (const PanelRecord* panel : state.matching_panels(query)) {
          if (panel->count_messages_of_type(step.message_type) >= wanted) return true;
        }
        return false;
      },
      Clock::now() + settings_.step_timeout);
  if (received) return std::nullopt;
  return "no " + panel_phrase(step) + " of " + name_of(session_id, step.participant_id) +
         " received " + std::to_string(step.count) + " message(s) of type \"" +
         step.message_type + "\" within " + std::to_string(settings_.step_timeout.count()) +
         " ms; panels:" + panels_of(session_id, step.participant_id);
}

ScenarioRunner::StepResult ScenarioRunner::expect_panel(const ScenarioSession& session,
                                                        const ScenarioStep& step) {
  const std::string& session_id = session_id_for(session, step);
  PanelStates states = step.any_state ? PanelStates::Any : PanelStates::OpenOnly;
  if (wait_for_panel(session_id, step, states) != 0) return std::nullopt;
  return std::string("no ") + (step.any_state ? "" : "open ") + panel_phrase(step) + " for " +
         name_of(session_id, step.participant_id) + " within " +
         std::to_string(settings_.step_timeout.count()) + " ms; panels:" +
         panels_of(session_id, step.participant_id);
}

ScenarioRunner::StepResult ScenarioRunner::expect_no_panel(const ScenarioSession& session,
                                                           const ScenarioStep& step) {
  const std::string& session_id = session_id_for(session, step);
  host_.run_tasks_for(std::chrono::milliseconds(step.duration_ms));
  PanelQuery query = query_for(session_id, step, PanelStates::Any);
  StepResult failure;
  host_.inspect([&](const HostState& state) {
    std::vector<const PanelRecord*> opened = state.matching_panels(query);
    if (opened.empty()) return;
    failure = "the plugin opened panel " + std::to_string(opened.front()->panel_id) + " \"" +
              opened.front()->title + "\" for " +
              state.display_name(session_id, step.participant_id) + ", which the step forbids";
  });
  return failure;
}

ScenarioRunner::StepResult ScenarioRunner::close(const ScenarioSession& session,
                                                 const ScenarioStep& step) {
  const std::string& session_id = session_id_for(session, step);
  const std::string name = name_of(session_id, step.participant_id);
  thp_panel_id panel_id = wait_for_panel(session_id, step, PanelStates::OpenOnly);
  if (panel_id == 0) {
    return "no open " + panel_phrase(step) + " for " + name + " to close within " +
           std::to_string(settings_.step_timeout.count()) + " ms; panels:" +
           panels_of(session_id, step.participant_id);
  }
  if (!host_.close_panel(panel_id, step.close_reason)) {
    return "panel " + std::to_string(panel_id) + " was closed by the plugin before " + name +
           " could close it";
  }
  transcript_.event("host: " + name + " closed panel " + std::to_string(panel_id) + " (" +
                    std::string(close_reason_name(step.close_reason)) + ")");
  thp_status status = call_hook("panel_closed", [&] {
    return plugin_.panel_closed(plugin_.plugin, panel_id, step.close_reason);
  });
  return check_status(step, status);
}

void ScenarioRunner::shut_down() {
  host_.run_ready_tasks();
  const auto timeout = settings_.shutdown_timeout;
  transcript_.event("host: shutting down the plugin (timeout " + std::to_string(timeout.count()) +
                    " ms)");
  Clock::time_point started = Clock::now();
  {
    // The plugin may use its whole timeout, then needs a moment to stop its threads.
    WatchdogScope watch(watchdog_, "the plugin's shutdown hook",
                        timeout + settings_.step_timeout);
    outcome_.shutdown_status =
        plugin_.shutdown(plugin_.plugin, static_cast<std::uint32_t>(timeout.count()));
  }
  std::int64_t micros = micros_since(started);
  outcome_.hook_calls.push_back({"shutdown", outcome_.shutdown_status, micros});
  outcome_.shutdown_ms = micros / 1000;

  outcome_.cancelled_tasks = host_.stop_and_cancel_tasks();
  if (outcome_.cancelled_tasks > 0) {
    transcript_.event("host: cancelled " + std::to_string(outcome_.cancelled_tasks) +
                      " task(s) still queued when the plugin's shutdown returned");
  }
  if (std::chrono::microseconds(micros) > timeout + shutdown_grace) {
    host_.record_failure("plugin shutdown took " + std::to_string(outcome_.shutdown_ms) +
                         " ms, longer than its timeout of " + std::to_string(timeout.count()) +
                         " ms");
  }
}

void ScenarioRunner::summarize() {
  std::vector<std::string> failures;
  host_.inspect([&](const HostState& state) { failures = state.failures; });
  std::size_t violations = failures.size() - outcome_.failed_steps;

  std::string line = "== " + std::to_string(outcome_.failed_steps) + " failed steps";
  if (violations > 0) line += ", " + std::to_string(violations) + " plugin errors";
  line += "; plugin shut down in " + std::to_string(outcome_.shutdown_ms) + " ms";
  if (outcome_.shutdown_status != THP_OK) {
    line += " with " + status_name(outcome_.shutdown_status);
  }
  transcript_.heading(line);
  for (const std::string& failure : failures) transcript_.heading("   FAILED " + failure);
}

}  // namespace host_sim
