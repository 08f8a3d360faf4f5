#include "live_mode.hpp"

#include "abi_names.hpp"
#include "host_rig.hpp"
#include "live_server.hpp"
#include "record.hpp"
#include "scenario.hpp"

#include <chrono>
#include <iostream>

namespace host_sim {
namespace {

enum ExitStatus : int {
  stopped_by_signal = 0,
  usage_or_scenario_error = 2,
  plugin_not_started = 3,
};

}  // namespace

int run_live_mode(const CommandLine& options) {
  const std::optional<RunInputs> inputs = read_run_inputs(options, "session file");
  if (!inputs) return usage_or_scenario_error;
  if (inputs->scenario.sessions.empty()) {
    std::cerr << "host-sim: session file " << options.scenario_path << " has no session\n";
    return usage_or_scenario_error;
  }
  // Live mode serves one session: the file's first. Its steps are not played.
  const ScenarioSession& session = inputs->scenario.sessions.front();

  HostRig rig(options, *inputs);
  auto& [clock, transcript, watchdog, host, plugin] = rig;
  if (!plugin.loaded) {
    std::cerr << "host-sim: " << plugin.error << "\n";
    return plugin_not_started;
  }

  LiveServerSettings settings{options.bind_address, options.port, options.step_timeout,
                              options.trace_timing};
  LiveOutcome served =
      serve_live(session, plugin.api, host, transcript, watchdog, settings, std::cout);
  int exit_status = stopped_by_signal;
  if (!served.served) {
    std::cerr << "host-sim: " << served.error << "\n";
    exit_status = usage_or_scenario_error;
  }

  // Shut down as the scenario runner does: on the host thread, ready tasks first.
  host.run_ready_tasks();
  const auto timeout = options.shutdown_timeout;
  transcript.event("host: shutting down the plugin (timeout " + std::to_string(timeout.count()) +
                   " ms)");
  auto started = std::chrono::steady_clock::now();
  thp_status shutdown_status = THP_OK;
  {
    WatchdogScope watch(watchdog, "the plugin's shutdown hook", timeout + options.step_timeout);
    shutdown_status = plugin.api.shutdown(plugin.api.plugin, static_cast<std::uint32_t>(timeout.count()));
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  std::size_t cancelled = host.stop_and_cancel_tasks();
  transcript.event("host: plugin shut down in " + std::to_string(micros / 1000) + " ms" +
                   (shutdown_status == THP_OK ? "" : " with " + status_name(shutdown_status)));

  if (options.record_path) {
    RecordContents contents;
    contents.scenario_name = inputs->scenario.name;
    contents.plugin_abi = plugin.abi_version;
    contents.state = host.snapshot();
    contents.hook_calls.push_back({"thp_plugin_entry", plugin.entry_status, plugin.entry_micros});
    contents.hook_calls.insert(contents.hook_calls.end(), served.hook_calls.begin(),
                               served.hook_calls.end());
    contents.hook_calls.push_back({"shutdown", shutdown_status, micros});
    contents.shutdown_status = shutdown_status;
    contents.cancelled_tasks = cancelled;
    if (auto error = write_record(*options.record_path, build_record(contents))) {
      std::cerr << "host-sim: cannot write record " << *options.record_path << ": " << *error
                << "\n";
      exit_status = usage_or_scenario_error;
    }
  }
  return exit_status;
}

}  // namespace host_sim
