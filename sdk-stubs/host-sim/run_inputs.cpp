#include "run_inputs.hpp"

#include <filesystem>
#include <iostream>

#include "text_file.hpp"

namespace host_sim {

std::optional<RunInputs> read_run_inputs(const CommandLine& options, const char* file_kind) {
  TextFile configuration = read_text_file(options.config_path);
  if (!configuration.text) {
    std::cerr << "host-sim: cannot read plugin configuration " << options.config_path << ": "
              << configuration.error << "\n";
    return std::nullopt;
  }
  TextFile scenario_file = read_text_file(options.scenario_path);
  if (!scenario_file.text) {
    std::cerr << "host-sim: cannot read " << file_kind << " " << options.scenario_path << ": "
              << scenario_file.error << "\n";
    return std::nullopt;
  }
  ScenarioParseResult scenario = parse_scenario(
      *scenario_file.text, std::filesystem::path(options.scenario_path).stem().string());
  if (!scenario.scenario) {
    for (const std::string& error : scenario.errors) {
      std::cerr << "host-sim: " << file_kind << " " << options.scenario_path << ": " << error << "\n";
    }
    return std::nullopt;
  }
  return RunInputs{std::move(*configuration.text), std::move(*scenario.scenario)};
}

}  // namespace host_sim
