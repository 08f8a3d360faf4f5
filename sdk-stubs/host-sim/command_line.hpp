#pragma once

// host-sim's command line.

#include "host.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace host_sim {

// --scenario plays a scripted scenario; --serve serves one session live to browsers.
enum class RunMode { Scenario, Serve };

struct CommandLine {
  RunMode mode = RunMode::Scenario;
  std::string plugin_path;
  // --manifest FILE: the plugin's manifest, checked before dlopen. Without it, the
  // manifest next to the library (plugin_manifest.hpp) is checked if there is one.
  std::optional<std::string> manifest_path;
  std::string config_path;
  std::string scenario_path;  // --scenario FILE, or --serve FILE (its first session)
  // --serve only: where to listen. Port 0 asks the system for any free port.
  std::string bind_address = "localhost";  // both loopbacks; or 127.0.0.1 or ::1 alone
  std::uint16_t port = 0;
  std::optional<std::string> record_path;
  std::optional<std::string> save_panels_directory;
  PanelCallPolicy panel_calls = PanelCallPolicy::AnyThread;
  std::chrono::milliseconds step_timeout{5000};
  std::chrono::milliseconds shutdown_timeout{5000};
  bool verbose = false;
  bool trace_timing = false;  // --serve: "timing <event> <microseconds>" lines (timing_trace.hpp)
};

struct CommandLineResult {
  std::optional<CommandLine> command_line;  // set when the arguments were usable
  bool help_requested = false;
  std::string error;
};

CommandLineResult parse_command_line(int argument_count, const char* const* arguments);
std::string_view usage_text();

}  // namespace host_sim
