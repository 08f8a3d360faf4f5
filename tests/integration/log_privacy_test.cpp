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

std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(ALLIANCE_SCENARIO_DIR)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_SUITE("integration") {
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
}
