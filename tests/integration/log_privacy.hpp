// What the plugin's log lines must never hold, checked on the lines of a scenario run:
// PHI from the scenario (names and their parts, participant and session ids, FHIR
// references, dates of birth, answers, totals, decline reasons), credentials, keys
// that only PHI would fill, and anything that is not one structured event line.
// run_scenario checks every run with it, so every integration test that runs a
// scenario proves its logs free of PHI; log_privacy_test.cpp runs every scenario file.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace alliance::integration {

struct LogLine {
  std::string level;
  std::string message;
};

// Everything of a scenario (as run) that is PHI.
std::set<std::string> phi_of(const nlohmann::json& scenario);

// The plugin's log lines in host-sim's --record file.
std::vector<LogLine> recorded_log_lines(const nlohmann::json& record);

// One sentence per problem: a line with PHI (naming which kind, not repeating it), a
// credential, a forbidden key, an unknown level, or a line that is not
// `event=<name> key=value ...`. Empty: the lines are clean.
std::vector<std::string> log_line_problems(const std::vector<LogLine>& lines, const std::set<std::string>& phi);

struct ScenarioRun;  // scenario_run.hpp

// The record's lines, and every line host-sim's --verbose transcript shows as the
// plugin's; checks (doctest) that the two agree, so that no line escapes the check.
std::vector<LogLine> log_lines_of(const ScenarioRun& run);

// Fails the current test (doctest) for each line that leaks PHI or is not one
// structured event.
void check_lines(const std::string& scenario_file, const std::vector<LogLine>& lines, const std::set<std::string>& phi);

}  // namespace alliance::integration
