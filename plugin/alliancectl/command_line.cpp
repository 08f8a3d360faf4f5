#include "alliancectl/command_line.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace alliance::control {

namespace {

constexpr std::array<const char*, 7> kCommands = {"check-config", "status", "show", "retry",
                                                  "purge",        "test-connection", "jwks"};

bool is_command(const std::string& word) {
  return std::any_of(kCommands.begin(), kCommands.end(), [&](const char* command) { return word == command; });
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& arguments) {
  CommandLine line;
  bool file_given = false;
  for (std::size_t index = 0; index < arguments.size(); ++index) {
    const std::string& argument = arguments[index];
    const bool has_value = index + 1 < arguments.size();
    if (argument == "--help" || argument == "-h" || argument == "help") {
      line.command = "help";
      return line;
    }
    if (argument == "--config" || argument == "-c") {
      if (!has_value) {
        line.error = argument + " needs a file";
        return line;
      }
      line.configuration_file = arguments[++index];
      file_given = true;
    } else if (argument.starts_with("--config=")) {
      line.configuration_file = argument.substr(std::string("--config=").size());
      file_given = true;
    } else if (argument == "--limit") {
      const std::string value = has_value ? arguments[++index] : "";
      std::size_t limit = 0;
      const auto [end, failure] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (value.empty() || failure != std::errc() || end != value.data() + value.size() || limit == 0) {
        line.error = "--limit needs a whole number greater than 0";
        return line;
      }
      line.limit = limit;
    } else if (argument == "--pending-limit") {
      const std::string value = has_value ? arguments[++index] : "";
      long long minutes = 0;
      const auto [end, failure] = std::from_chars(value.data(), value.data() + value.size(), minutes);
      if (value.empty() || failure != std::errc() || end != value.data() + value.size() || minutes < 1 ||
          minutes > 525'600) {
        line.error = "--pending-limit needs a number of minutes from 1 to 525600";
        return line;
      }
      line.pending_limit_minutes = minutes;
    } else if (argument.starts_with("-")) {
      line.error = "unknown option " + argument;
      return line;
    } else if (line.command.empty()) {
      if (!is_command(argument)) {
        line.error = "unknown command " + argument;
        return line;
      }
      line.command = argument;
    } else if (line.command == "check-config" && !file_given) {
      line.configuration_file = argument;
      file_given = true;
    } else if (line.command == "show" && line.administration_id.empty()) {
      line.administration_id = argument;
    } else {
      line.error = "unexpected argument " + argument;
      return line;
    }
  }
  if (line.command.empty()) line.error = "no command given";
  if (line.command == "show" && line.administration_id.empty()) {
    line.error = "show needs the id of an administration (alliancectl status lists them)";
  }
  return line;
}

std::string help_text() {
  return std::string(
             "usage: alliancectl COMMAND [--config FILE] [options]\n"
             "\n"
             "Commands:\n"
             "  check-config [FILE]  check the configuration, the measures, the store key and the\n"
             "                       ETR table; print every problem as \"key: reason\"\n"
             "  status [--limit N] [--pending-limit MINUTES]\n"
             "                       the outbox by state, the oldest pending item, and the last N\n"
             "                       (default 10) delivery problems (no PHI); exit 1 when a result\n"
             "                       failed or waits longer than MINUTES (default 60) to be sent\n"
             "  show ID              one item: its state, its attempts and the server's last answer\n"
             "                       (that answer may name the client: keep it out of tickets)\n"
             "  retry                make failed items pending again (after fixing the cause)\n"
             "  purge                drop delivered payloads and trend scores past their retention\n"
             "  test-connection      reach the FHIR server as the plugin would (TLS, SMART token),\n"
             "                       read its CapabilityStatement and say what is missing; writes nothing\n"
             "  jwks                 print the public JWK Set of fhir.smart's key (no secret in it), for\n"
             "                       the URL where an EHR that asks for one reads the app's keys\n"
             "\n"
             "Options:\n"
             "  --config FILE        the plugin's configuration (default ") +
         kDefaultConfigurationFile +
         ")\n"
         "  --help               this text\n"
         "\n"
         "Exit status: 0 when all is well, 1 when a problem was found, 2 for a usage error.\n";
}

}  // namespace alliance::control
