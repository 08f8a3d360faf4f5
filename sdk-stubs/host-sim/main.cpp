// host-sim: a reference telehealth host. It loads one plugin library, plays a
// scenario of sessions against it on its host thread, checks the scenario's
// expectations, and writes what happened as a transcript (stdout) and optionally as
// a record (JSON) for tests. It knows the plugin only through the ABI header.
// With --serve it serves one session live to browsers instead (live_mode.hpp).

#include "command_line.hpp"
#include "host_rig.hpp"
#include "live_mode.hpp"
#include "panel_files.hpp"
#include "record.hpp"
#include "scenario.hpp"
#include "scenario_runner.hpp"

#include <exception>
#include <iostream>

namespace {

enum ExitStatus : int {
  all_steps_passed = 0,
  some_step_failed = 1,
  usage_or_scenario_error = 2,
  plugin_not_started = 3,
};

int run_host_sim(int argument_count, const char* const* arguments) {
  using namespace host_sim;

  CommandLineResult parsed = parse_command_line(argument_count, arguments);
  if (parsed.help_requested) {
    std::cout << usage_text();
    return all_steps_passed;
  }
  if (!parsed.command_line) {
    std::cerr << "host-sim: " << parsed.error << "\n" << usage_text();
    return usage_or_scenario_error;
  }
  const CommandLine& options = *parsed.command_line;
  if (options.mode == RunMode::Serve) return run_live_mode(options);

  const std::optional<RunInputs> inputs = read_run_inputs(options, "scenario");
  if (!inputs) return usage_or_scenario_error;

  HostRig rig(options, *inputs);
  auto& [clock, transcript, watchdog, host, plugin] = rig;
  if (!plugin.loaded) {
    std::cerr << "host-sim: " << plugin.error << "\n";
    return plugin_not_started;
  }

  ScenarioRunner runner(inputs->scenario, plugin.api, host, transcript, watchdog,
                        RunSettings{options.step_timeout, options.shutdown_timeout});
  RunOutcome outcome = runner.run();

  RecordContents contents;
  contents.scenario_name = inputs->scenario.name;
  contents.plugin_abi = plugin.abi_version;
  contents.state = host.snapshot();
  contents.hook_calls.push_back({"thp_plugin_entry", plugin.entry_status, plugin.entry_micros});
  contents.hook_calls.insert(contents.hook_calls.end(), outcome.hook_calls.begin(),
                             outcome.hook_calls.end());
  contents.shutdown_status = outcome.shutdown_status;
  contents.cancelled_tasks = outcome.cancelled_tasks;

  int exit_status = contents.state.failures.empty() ? all_steps_passed : some_step_failed;
  if (options.record_path) {
    if (auto error = write_record(*options.record_path, build_record(contents))) {
      std::cerr << "host-sim: cannot write record " << *options.record_path << ": " << *error
                << "\n";
      exit_status = usage_or_scenario_error;
    }
  }
  if (options.save_panels_directory) {
    if (auto error = save_panel_html(*options.save_panels_directory, contents.state)) {
      std::cerr << "host-sim: " << *error << "\n";
      exit_status = usage_or_scenario_error;
    }
  }
  return exit_status;
}

}  // namespace

int main(int argument_count, char** arguments) {
  try {
    return run_host_sim(argument_count, arguments);
  } catch (const std::exception& error) {
    std::cerr << "host-sim: internal error: " << error.what() << "\n";
    return usage_or_scenario_error;
  }
}
