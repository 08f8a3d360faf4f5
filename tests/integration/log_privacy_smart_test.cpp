// Logs carry no credential: a SMART delivery's client assertion and bearer token never
// reach the plugin's log, nor does any PHI (log_privacy_test.cpp checks every scenario).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "fhir_server.hpp"
#include "log_privacy.hpp"
#include "scenario_run.hpp"

using namespace alliance::integration;
using nlohmann::json;

TEST_SUITE("integration") {
  // In alliance_smart_tests, which hold the token-count lock: a session whose
  // deliveries need SMART tokens (a client assertion, then a bearer token), once with
  // a key the server knows and once with one it refuses, so the refusal's reason is
  // logged too. Neither credential nor any PHI may reach the log.
  TEST_CASE("no log line of a SMART delivery carries a token or PHI") {
    for (const std::string key : {"es384.key", "wrong-es384.key"}) {
      CAPTURE(key);
      // A token of the test's own for each run: they live 3 s, less than a run under load.
      const std::string authorization = smart_test_authorization();
      const std::string token = authorization.substr(authorization.find(' ') + 1);
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
}
