#pragma once

// Plays a scenario against a loaded plugin: sessions one after another, each step in
// order, on the host thread. A failed step is recorded and the run goes on, so that
// one run reports every failure; the plugin is shut down at the end either way.

#include "hook_call.hpp"
#include "hook_watchdog.hpp"
#include "host.hpp"
#include "scenario.hpp"
#include "transcript.hpp"

#include <telehealth/plugin_abi.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace host_sim {

struct RunSettings {
  // How long a step waits for the plugin, and how long one hook call may take.
  std::chrono::milliseconds step_timeout{5000};
  // Passed to the plugin's shutdown hook.
  std::chrono::milliseconds shutdown_timeout{5000};
};

struct RunOutcome {
  std::size_t failed_steps = 0;
  thp_status shutdown_status = THP_OK;
  std::int64_t shutdown_ms = 0;
  std::size_t cancelled_tasks = 0;
  std::vector<HookCall> hook_calls;
};

class ScenarioRunner {
 public:
  ScenarioRunner(const Scenario& scenario, const thp_plugin_api& plugin, Host& host,
                 Transcript& transcript, HookWatchdog& watchdog, RunSettings settings);

  RunOutcome run();

 private:
  // Each step returns why it failed, or nothing when it passed.
  using StepResult = std::optional<std::string>;

  void introduce(const ScenarioSession& session);
  // Closes, as the host, the panels of sessions whose post-session window has closed
  // and reports each to the plugin through panel_closed.
  void close_expired_windows();
  StepResult run_step(const ScenarioSession& session, const ScenarioStep& step);
  StepResult start(const ScenarioSession& session, const ScenarioStep& step);
  StepResult end(const ScenarioSession& session, const ScenarioStep& step);
  StepResult join(const ScenarioSession& session, const ScenarioStep& step);
  StepResult leave(const ScenarioSession& session, const ScenarioStep& step);
  StepResult send(const ScenarioSession& session, const ScenarioStep& step);
  StepResult expect(const ScenarioSession& session, const ScenarioStep& step);
  StepResult expect_panel(const ScenarioSession& session, const ScenarioStep& step);
  StepResult expect_no_panel(const ScenarioSession& session, const ScenarioStep& step);
  StepResult close(const ScenarioSession& session, const ScenarioStep& step);
  void shut_down();
  void summarize();

  // Waits (running host tasks) for the newest panel matching the step; 0 if none came.
  thp_panel_id wait_for_panel(const std::string& session_id, const ScenarioStep& step,
                              PanelStates states);
  template <typename Call>
  thp_status call_hook(const char* hook, Call&& call);
  StepResult check_status(const ScenarioStep& step, thp_status status) const;
  std::string name_of(const std::string& session_id, const std::string& participant_id) const;
  std::string panels_of(const std::string& session_id, const std::string& participant_id) const;

  const Scenario& scenario_;
  const thp_plugin_api& plugin_;
  Host& host_;
  Transcript& transcript_;
  HookWatchdog& watchdog_;
  RunSettings settings_;
  RunOutcome outcome_;
};

}  // namespace host_sim
