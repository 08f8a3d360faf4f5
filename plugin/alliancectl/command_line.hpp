// alliancectl's command line: one command, the configuration file, and the options
// some commands take.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace alliance::control {

inline constexpr const char* kDefaultConfigurationFile = "/etc/alliance/alliance.json";

struct CommandLine {
  std::string command;                       // check-config, status, show, retry, purge, test-connection, jwks, help
  std::filesystem::path configuration_file = kDefaultConfigurationFile;
  std::size_t limit = 10;                    // status: how many recent delivery problems
  long long pending_limit_minutes = 60;      // status: older pending items need attention
  std::string administration_id;             // show: the item to show
  std::string error;                         // not empty: the command line is not usable
};

// `arguments` without the program name.
CommandLine parse_command_line(const std::vector<std::string>& arguments);

// The text of --help.
std::string help_text();

}  // namespace alliance::control
