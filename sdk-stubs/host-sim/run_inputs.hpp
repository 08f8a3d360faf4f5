// What every run of host-sim reads first: the plugin's configuration text and the
// scenario (or, with --serve, session) file, parsed. One place, so that the scripted
// and the live mode report unreadable or invalid files alike.
#pragma once

#include <optional>
#include <string>

#include "command_line.hpp"
#include "scenario.hpp"

namespace host_sim {

struct RunInputs {
  std::string configuration;  // the plugin's configuration, handed to it as text
  Scenario scenario;
};

// On failure writes why to standard error, calling the file a `file_kind` ("scenario",
// "session file"), and returns nothing.
std::optional<RunInputs> read_run_inputs(const CommandLine& options, const char* file_kind);

}  // namespace host_sim
