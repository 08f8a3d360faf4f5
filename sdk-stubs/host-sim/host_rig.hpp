// The reference host's parts for one run, scripted or live, made in the order they
// depend on each other: the clock the transcript stamps its lines with, the watchdog
// of hook calls, the host's tables, and the plugin loaded against them.
#pragma once

#include "command_line.hpp"
#include "hook_watchdog.hpp"
#include "host.hpp"
#include "plugin_loader.hpp"
#include "run_clock.hpp"
#include "run_inputs.hpp"
#include "transcript.hpp"

namespace host_sim {

struct HostRig {
  // Loads the plugin with the run's configuration; `plugin.loaded` says whether it
  // started (and `plugin.error` why not).
  HostRig(const CommandLine& options, const RunInputs& inputs);
  HostRig(const HostRig&) = delete;
  HostRig& operator=(const HostRig&) = delete;

  RunClock clock;
  Transcript transcript;
  HookWatchdog watchdog;
  Host host;
  LoadedPlugin plugin;
};

}  // namespace host_sim
