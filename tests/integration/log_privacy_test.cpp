// Logs carry no PHI: every scenario in tests/scenarios runs through host-sim with the
// real plugin at debug level, delivering to the test FHIR server, and no line the
// plugin logged may name a participant, an identifier, a date of birth, an answer, a
// total, a decline reason or a credential. Every line is also one structured event.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "fhir_server.hpp"
#include "log_privacy.hpp"
#include "scenario_run.hpp"

using namespace alliance::integration;
using nlohmann::json;

namespace {

// Scenarios that cannot run here, each with the reason; every other file in the
// folder runs, so a new scenario is covered without touching this test.
const std::map<std::string, std::string> kNotRunnable = {};
constexpr int kLongestWaitMs = 2000;

// The record's lines, and every line host-sim's --verbose transcript shows as the
// plugin's; the two must agree, so no line escapes the check.
std::vector<LogLine> log_lines_of(const ScenarioRun& run) {
  std::vector<LogLine> lines = recorded_log_lines(run.record);
  size_t transcript_lines = 0;
  for (const std::string* stream : {&run.process.standard_output, &run.process.standard_error}) {
    std::istringstream text(*stream);
    for (std::string line; std::getline(text, line);) {
      const size_t marker = line.find("plugin log (");
      if (marker == std::string::npos) continue;
      ++transcript_lines;
      const size_t level_end = line.find_first_of(",)", marker);
      const size_t message = line.find("): ", marker);
      REQUIRE_MESSAGE(message != std::string::npos, line);
      lines.push_back({line.substr(marker + 12, level_end - marker - 12), line.substr(message + 3)});
    }
  }
  CHECK_MESSAGE(transcript_lines == run.record.value("logs", json::array()).size(),
                "the transcript and the record disagree about the plugin's log lines");
  return lines;
}

// Fails the test for each line that leaks PHI or is not one structured event.
void check_lines(const std::string& scenario_file, const std::vector<LogLine>& lines, const std::set<std::string>& phi) {
  CAPTURE(scenario_file);
  for (const std::string& problem : log_line_problems(lines, phi)) FAIL_CHECK(problem);
  for (const LogLine& line : lines) CHECK(line.message.find('\n') == std::string::npos);
}

std::string describe(const ScenarioRun& run) {
  return "exit " + std::to_string(run.process.exit_status) + "\n" + run.process.standard_output + "\n" +
         run.process.standard_error;
}

[[maybe_unused]] std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(ALLIANCE_SCENARIO_DIR)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_SUITE("integration") {
#ifndef ALLIANCE_LOG_PRIVACY_SMART
  TEST_CASE("no log line of any scenario carries PHI and every line is one structured event") {
    const std::vector<std::string> files = scenario_files();
    REQUIRE(files.size() >= 10);
    size_t lines_checked = 0;
    size_t delivered = 0;
    for (const std::string& file : files) {
      CAPTURE(file);
      if (const auto skipped = kNotRunnable.find(file); skipped != kNotRunnable.end()) {
        MESSAGE("not run: " << file << ": " << skipped->second);
        continue;
      }
      PersonalizedScenario scenario = personalize_scenario(file);
      json personalized = host_sim_test::read_json(scenario.path);
      // killed_after_saved waits 30 s for a test to kill the host; here the host may
      // simply stop, so long waits are cut short (every event before them still runs).
      for (json& session : personalized["sessions"]) {
        for (json& step : session["steps"]) {
          if (step.value("action", "") == "wait" && step.value("ms", 0) > kLongestWaitMs) step["ms"] = kLongestWaitMs;
        }
      }
      scenario.path = host_sim_test::write_output_file("log-privacy-" + file, personalized.dump(2)).string();
      // The original references too: a suffix-free id in a log is as much a leak.
      std::set<std::string> phi = phi_of(personalized);
      for (const std::string& secret : phi_of(host_sim_test::read_json(std::string(ALLIANCE_SCENARIO_DIR) + "/" + file))) {
        phi.insert(secret);
      }
      const ScenarioRun run = run_scenario(scenario.path, {{"--verbose"}, fhir_settings()});
      REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
      const std::vector<LogLine> lines = log_lines_of(run);
      check_lines(file, lines, phi);
      lines_checked += lines.size();
      for (const json& row : run.rows) delivered += row["delivery_state"] == "delivered" ? 1 : 0;
    }
    MESSAGE("log lines checked: " << lines_checked << "; administrations delivered: " << delivered);
    // The richest path ran: sessions, measures saved, and deliveries to the server.
    CHECK(lines_checked > 100);
    CHECK(delivered > 10);
  }
#else
  // Built into alliance_smart_tests, which hold the token-count lock: a session whose
  // deliveries need SMART tokens (a client assertion, then a bearer token), once with
  // a key the server knows and once with one it refuses, so the refusal's reason is
  // logged too. Neither credential nor any PHI may reach the log.
  TEST_CASE("no log line of a SMART delivery carries a token or PHI") {
    const std::string authorization = smart_test_authorization();
    const std::string token = authorization.substr(authorization.find(' ') + 1);
    for (const std::string key : {"es384.key", "wrong-es384.key"}) {
      CAPTURE(key);
      const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
      seed_on(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE, scenario, authorization);
      json settings = fhir_settings(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE);
      settings["smart"] = {{"client_id", "alliance-test-client"},
                           {"private_key_file", std::string(ALLIANCE_TEST_KEYS) + "/" + key},
                           {"key_id", "alliance-es384"}};
      const ScenarioRun run = run_scenario(scenario.path, {{"--verbose"}, settings});
      REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
      REQUIRE(run.rows.size() == 2);
      for (const json& row : run.rows) {
        CHECK(row["delivery_state"] == (key == "es384.key" ? "delivered" : "pending"));
      }
      std::set<std::string> phi = phi_of(host_sim_test::read_json(scenario.path));
      phi.insert(token);
      check_lines("normal_session.json", log_lines_of(run), phi);
    }
  }
#endif
}
