#include "command_line.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <vector>

namespace host_sim {
namespace {

// Timeouts go to the plugin as uint32_t milliseconds.
constexpr std::int64_t longest_timeout_ms = std::numeric_limits<std::uint32_t>::max();

std::optional<std::chrono::milliseconds> parse_milliseconds(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > longest_timeout_ms) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(value);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  std::uint16_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The live pages carry a session's PHI and its controls, behind nothing but a key in
// their URL: they are served on the loopback interface only.
bool is_loopback_address(std::string_view address) {
  return address == "localhost" || address == "127.0.0.1" || address == "::1";
}

}  // namespace

std::string_view usage_text() {
  return "usage: host-sim --plugin PATH.so --config PLUGIN_CONFIG.json --scenario SCENARIO.json\n"
         "                [--manifest MANIFEST.json] [--record RECORD.json] [--save-panels DIR]\n"
         "                [--panel-calls host-thread|any-thread] [--step-timeout-ms N]\n"
         "                [--shutdown-timeout-ms N] [--verbose]\n"
         "       host-sim --plugin PATH.so --config PLUGIN_CONFIG.json --serve SESSION.json\n"
         "                [--manifest MANIFEST.json] [--port N (0: any free port)] [--bind localhost|127.0.0.1|::1] [--record RECORD.json]\n"
         "                [--panel-calls host-thread|any-thread] [--step-timeout-ms N]\n"
         "                [--shutdown-timeout-ms N] [--verbose] [--trace-timing]\n"
         "  --serve serves a page per participant of the file's first session on loopback\n"
         "  (steps are ignored) until SIGINT or SIGTERM; each page's URL carries that\n"
         "  participant's key. --bind localhost (the default) listens on 127.0.0.1 and ::1.\n"
         "  --trace-timing prints \"timing <event> <microseconds since the epoch>\" for each\n"
         "  step from a \"Start session\" to a panel's document on a page.\n"
         "  --manifest names the plugin's manifest (library, entry symbol, ABI, SHA-256),\n"
         "  checked before the library is loaded; without it, NAME.manifest.json next to\n"
         "  libNAME.so is checked when present.\n"
         "exit status: 0 all steps passed (--serve: stopped by a signal), 1 a step or the\n"
         "             plugin failed, 2 usage or scenario file error, 3 the plugin could\n"
         "             not be loaded or refused to start\n";
}

CommandLineResult parse_command_line(int argument_count, const char* const* arguments) {
  CommandLineResult result;
  CommandLine command_line;
  bool have_plugin = false;
  bool have_config = false;
  bool have_scenario = false;
  bool have_serve = false;
  bool have_save_panels = false;
  bool have_listen_option = false;

  std::vector<std::string_view> words(arguments + 1, arguments + argument_count);
  for (std::size_t index = 0; index < words.size(); ++index) {
    std::string_view option = words[index];
    if (option == "--help" || option == "-h") {
      result.help_requested = true;
      return result;
    }
    if (option == "--verbose") {
      command_line.verbose = true;
      continue;
    }
    if (option == "--trace-timing") {
      command_line.trace_timing = true;
      have_listen_option = true;
      continue;
    }
    // Every other option takes a value, as "--option value" or "--option=value".
    std::optional<std::string_view> value;
    if (std::size_t equals = option.find('='); option.starts_with("--") && equals != option.npos) {
      value = option.substr(equals + 1);
      option = option.substr(0, equals);
    } else if (index + 1 < words.size()) {
      value = words[++index];
    }
    auto missing_value = [&] {
      result.error = std::string(option) + " needs a value";
      return result;
    };
    if (option == "--plugin" || option == "--manifest" || option == "--config" || option == "--scenario" ||
        option == "--record" || option == "--save-panels" || option == "--panel-calls" ||
        option == "--step-timeout-ms" || option == "--shutdown-timeout-ms" ||
        option == "--serve" || option == "--port" || option == "--bind") {
      if (!value || value->empty()) return missing_value();
    } else {
      result.error = "unknown option " + std::string(option);
      return result;
    }

    if (option == "--plugin") {
      command_line.plugin_path = std::string(*value);
      have_plugin = true;
    } else if (option == "--manifest") {
      command_line.manifest_path = std::string(*value);
    } else if (option == "--config") {
      command_line.config_path = std::string(*value);
      have_config = true;
    } else if (option == "--scenario") {
      command_line.scenario_path = std::string(*value);
      have_scenario = true;
    } else if (option == "--serve") {
      command_line.scenario_path = std::string(*value);
      command_line.mode = RunMode::Serve;
      have_serve = true;
    } else if (option == "--port") {
      std::optional<std::uint16_t> port = parse_port(*value);
      if (!port) {
        result.error = "--port must be a whole number from 0 to 65535, not " + std::string(*value);
        return result;
      }
      command_line.port = *port;
      have_listen_option = true;
    } else if (option == "--bind") {
      if (!is_loopback_address(*value)) {
        result.error = "--bind must be a loopback address (localhost, 127.0.0.1 or ::1), not " +
                       std::string(*value) + ": the pages have no login";
        return result;
      }
      command_line.bind_address = std::string(*value);
      have_listen_option = true;
    } else if (option == "--record") {
      command_line.record_path = std::string(*value);
    } else if (option == "--save-panels") {
      command_line.save_panels_directory = std::string(*value);
      have_save_panels = true;
    } else if (option == "--panel-calls") {
      if (*value == "host-thread") {
        command_line.panel_calls = PanelCallPolicy::HostThreadOnly;
      } else if (*value == "any-thread") {
        command_line.panel_calls = PanelCallPolicy::AnyThread;
      } else {
        result.error = "--panel-calls must be host-thread or any-thread, not " + std::string(*value);
        return result;
      }
    } else {
      std::optional<std::chrono::milliseconds> milliseconds = parse_milliseconds(*value);
      if (!milliseconds) {
        result.error = std::string(option) + " must be a whole number of milliseconds from 1 to " +
                       std::to_string(longest_timeout_ms) + ", not " + std::string(*value);
        return result;
      }
      (option == "--step-timeout-ms" ? command_line.step_timeout : command_line.shutdown_timeout) =
          *milliseconds;
    }
  }

  if (have_scenario && have_serve) {
    result.error = "--scenario and --serve cannot be used together";
    return result;
  }
  if (have_serve && have_save_panels) {
    result.error = "--save-panels applies to --scenario only";
    return result;
  }
  if (have_scenario && have_listen_option) {
    result.error = "--port, --bind and --trace-timing apply to --serve only";
    return result;
  }
  if (!have_plugin || !have_config || (!have_scenario && !have_serve)) {
    std::string missing;
    if (!have_plugin) missing += " --plugin";
    if (!have_config) missing += " --config";
    if (!have_scenario && !have_serve) missing += " --scenario (or --serve)";
    result.error = "missing" + missing;
    return result;
  }
  result.command_line = std::move(command_line);
  return result;
}

}  // namespace host_sim
