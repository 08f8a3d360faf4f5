#pragma once

// host-sim's command line.

#include "host.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace host_sim {

struct CommandLine {
  std::string plugin_path;
  std::string config_path;
  std::string scenario_path;
  std::optional<std::string> record_path;
  std::optional<std::string> save_panels_directory;
  PanelCallPolicy panel_calls = PanelCallPolicy::AnyThread;
  std::chrono::milliseconds step_timeout{5000};
  std::chrono::milliseconds shutdown_timeout{5000};
  bool verbose = false;
};

struct CommandLineResult {
  std::optional<CommandLine> command_line;  // set when the arguments were usable
  bool help_requested = false;
  std::string error;
};

CommandLineResult parse_command_line(int argument_count, const char* const* arguments);
std::string_view usage_text();

}  // namespace host_sim
