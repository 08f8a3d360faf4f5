// SMART Backend Services end to end: the plugin gets tokens from the test server's
// token endpoint and the server refuses FHIR requests without them. These tests take
// the token-count lock, so no test that counts issued tokens runs meanwhile.
#include <doctest/doctest.h>

#include "fhir_server.hpp"
#include "scenario_run.hpp"

using namespace alliance::integration;
using nlohmann::json;

namespace {

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a server that requires SMART tokens gets them and an expired token is renewed") {
    const std::string authorization = smart_test_authorization();
    PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
    seed_on(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE, scenario, authorization);
    // Two sessions in one host run, the second after the first token has expired (the
    // test server's tokens live 3 s).
    json two = host_sim_test::read_json(scenario.path);
    json later = two["sessions"][0];
    later["session_id"] = "visit-later";
    later["steps"].insert(later["steps"].begin(), json{{"action", "wait"}, {"ms", 4000}});
    two["sessions"].push_back(later);
    scenario.path = host_sim_test::write_output_file("smart-two-sessions.json", two.dump()).string();
    json settings = fhir_settings(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE);
    settings["smart"] = {{"client_id", "alliance-test-client"},
                         {"private_key_file", std::string(ALLIANCE_TEST_KEYS) + "/es384.key"},
                         {"key_id", "alliance-es384"}};
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 4);
    for (const json& row : run.rows) CHECK(row["delivery_state"] == "delivered");
    CHECK(run.all_log_text().find("event=delivery_failed") == std::string::npos);
    CHECK(fhir_search("Observation", "subject=" + scenario.patients.at(0), ALLIANCE_FHIR_SERVER_SMART_PORT_FILE,
                      smart_test_authorization())
              .size() == 4);
  }

  TEST_CASE("a SMART key the server does not know is refused and nothing is sent") {
    const std::string authorization = smart_test_authorization();
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
    seed_on(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE, scenario, authorization);
    json settings = fhir_settings(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE);
    settings["smart"] = {{"client_id", "alliance-test-client"},
                         {"private_key_file", std::string(ALLIANCE_TEST_KEYS) + "/wrong-es384.key"},
                         {"key_id", "alliance-es384"}};
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) {
      CHECK(row["delivery_state"] == "pending");
      CHECK(row["last_error"].get<std::string>().find("no access token") == 0);
    }
    CHECK(run.all_log_text().find("no access token") != std::string::npos);
    // A new token: the one that seeded lives 3 s, less than a run under load.
    CHECK(fhir_search("Observation", "subject=" + scenario.patients.at(0), ALLIANCE_FHIR_SERVER_SMART_PORT_FILE,
                      smart_test_authorization())
              .empty());
  }

}
