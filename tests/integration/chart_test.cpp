// Into the chart: scripted sessions through host-sim and the plugin, with the plugin
// pushing to the test FHIR server (tests/fhir-server) over HTTPS; then the server is
// searched the way an EHR would show the client's chart.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "fhir_server.hpp"
#include "scenario_run.hpp"

using namespace alliance::integration;
using nlohmann::json;

namespace {

void execute_sql(const std::filesystem::path& database, const std::string& sql) {
  sqlite3* connection = nullptr;
  REQUIRE(sqlite3_open(database.c_str(), &connection) == SQLITE_OK);
  CHECK(sqlite3_exec(connection, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(connection);
}

const json* observation_with_code(const std::vector<json>& observations, const std::string& code) {
  for (const json& observation : observations) {
    if (observation["code"]["coding"][0]["code"] == code) return &observation;
  }
  return nullptr;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("after a session the chart holds one response and one total Observation per completed measure") {
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json");
    const std::string patient = scenario.patients.at(0);
    const ScenarioRun run = run_scenario(scenario.path, {{}, fhir_settings()});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) {
      CAPTURE(row.dump());
      CHECK(row["delivery_state"] == "delivered");
      CHECK(row["delivery_attempts"] == 1);
    }

    const auto responses = fhir_search("QuestionnaireResponse", "subject=" + patient);
    const auto observations = fhir_search("Observation", "subject=" + patient);
    REQUIRE(responses.size() == 2);
    REQUIRE(observations.size() == 2);

    const json* outcome = observation_with_code(observations, "716613004");
    const json* session = observation_with_code(observations, "720482000");
    REQUIRE(outcome != nullptr);
    REQUIRE(session != nullptr);
    CHECK((*outcome)["valueQuantity"]["value"] == 29.1);
    CHECK((*outcome)["valueQuantity"]["code"] == "{score}");
    CHECK((*outcome)["status"] == "final");
    CHECK((*outcome)["category"][0]["coding"][0]["code"] == "survey");
    CHECK((*outcome)["interpretation"][0]["coding"][0]["code"] == "N");
    CHECK((*outcome)["referenceRange"][0]["low"]["value"] == 25.0);
    CHECK((*outcome)["performer"][0]["reference"] == patient);
    CHECK((*outcome)["encounter"]["reference"].get<std::string>().rfind("Encounter/enc-normal-", 0) == 0);
    CHECK((*session)["valueQuantity"]["value"] == 37.0);
    CHECK((*session)["referenceRange"][0]["low"]["value"] == 36.0);

    // Each Observation is derived from its own QuestionnaireResponse, by server id.
    const std::string derived = (*outcome)["derivedFrom"][0]["reference"];
    REQUIRE(derived.rfind("QuestionnaireResponse/", 0) == 0);
    const FhirAnswer response = fhir_request("GET", derived);
    REQUIRE(response.status == 200);
    CHECK(response.body["questionnaire"] == "https://fhir.alliance-plugin.org/Questionnaire/ors|1.0.0");
    CHECK(response.body["status"] == "completed");
    CHECK(response.body["subject"]["reference"] == patient);
    CHECK(response.body["author"]["reference"] == patient);
    // Four scales, who filled it in (the client), and the total.
    CHECK(response.body["item"].size() == 6);
    CHECK(response.body["item"][4]["answer"][0]["valueCoding"]["code"] == "self");
    CHECK(response.body["item"][5]["answer"][0]["valueDecimal"] == 29.1);
    CHECK(response.body["language"] == "en");
    CHECK(response.body["identifier"]["value"] == run.rows[0]["administration_id"]);

    // The store knows the server's ids.
    const json resources = json::parse(run.rows[0]["server_resources"].get<std::string>());
    CHECK(resources[0]["type"] == "QuestionnaireResponse");
    CHECK("QuestionnaireResponse/" + resources[0]["id"].get<std::string>() == derived);
  }

  TEST_CASE("pushing the same administrations twice leaves the chart unchanged") {
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json");
    const std::string patient = scenario.patients.at(0);
    const ScenarioRun first = run_scenario(scenario.path, {{}, fhir_settings()});
    REQUIRE_MESSAGE(first.process.exit_status == 0, describe(first));
    REQUIRE(fhir_search("Observation", "subject=" + patient).size() == 2);

    // As if the confirmation had been lost: everything pending again, same store.
    execute_sql(first.database, "UPDATE outbox SET delivery_state = 'pending', server_resources = ''");
    const auto again =
        host_sim_test::run_host_sim({"--plugin", ALLIANCE_PLUGIN_PATH, "--config", first.configuration.string(),
                                     "--scenario", std::string(ALLIANCE_SCENARIO_DIR) + "/idle.json"});
    REQUIRE_MESSAGE(again.exit_status == 0, again.standard_output << again.standard_error);
    const auto rows = read_administrations(first.database, first.key_file);
    REQUIRE(rows.size() == 2);
    for (const json& row : rows) {
      CHECK(row["delivery_state"] == "delivered");
      // The server found both resources already there (200, not 201).
      const json resources = json::parse(row["server_resources"].get<std::string>());
      CHECK(resources[0]["status"] == 200);
      CHECK(resources[1]["status"] == 200);
    }
    CHECK(fhir_search("Observation", "subject=" + patient).size() == 2);
    CHECK(fhir_search("QuestionnaireResponse", "subject=" + patient).size() == 2);
  }

  TEST_CASE("a server certificate for another host name is refused and nothing is sent") {
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json");
    json settings = fhir_settings();
    std::string base = settings["base_url"];
    base.replace(base.find("localhost"), 9, "127.0.0.1");  // the certificate names localhost only
    settings["base_url"] = base;
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) {
      CHECK(row["delivery_state"] == "pending");
      CHECK(row["last_error"].get<std::string>().find("certificate") != std::string::npos);
    }
    CHECK(run.all_log_text().find("event=delivery_retry") != std::string::npos);
    CHECK(run.all_log_text().find("certificate") != std::string::npos);
    CHECK(fhir_search("Observation", "subject=" + scenario.patients.at(0)).empty());
  }

  TEST_CASE("a server certificate from an unknown CA is refused and nothing is sent") {
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json");
    json settings = fhir_settings();
    settings["ca_file"] = test_certificate("other-ca.pem");
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) CHECK(row["delivery_state"] == "pending");
    CHECK(run.all_log_text().find("certificate") != std::string::npos);
    CHECK(fhir_search("Observation", "subject=" + scenario.patients.at(0)).empty());
  }

  TEST_CASE("a server that requires a client certificate gets one when it is configured") {
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json", true);
    json settings = fhir_settings(ALLIANCE_FHIR_SERVER_MTLS_PORT_FILE);
    settings["client_certificate_file"] = test_certificate("client.pem");
    settings["client_key_file"] = test_certificate("client.key");
    // The mTLS server keeps its own store: seed the client and visit there too.
    seed_on(ALLIANCE_FHIR_SERVER_MTLS_PORT_FILE, scenario);
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) CHECK(row["delivery_state"] == "delivered");

    json without = fhir_settings(ALLIANCE_FHIR_SERVER_MTLS_PORT_FILE);
    const ScenarioRun refused = run_scenario(personalize_scenario("normal_session.json", false).path, {{}, without});
    REQUIRE_MESSAGE(refused.process.exit_status == 0, describe(refused));
    for (const json& row : refused.rows) CHECK(row["delivery_state"] == "pending");
  }

  TEST_CASE("a configured HTTPS proxy carries the traffic and its password stays out of the log") {
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json");
    std::string proxy_port;
    std::ifstream(ALLIANCE_TINYPROXY_PORT_FILE) >> proxy_port;
    const auto password_file = host_sim_test::write_output_file("proxy-password", ALLIANCE_TINYPROXY_PASSWORD);
    // A secret file: only its owner may read it, or the plugin refuses it.
    std::filesystem::permissions(password_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace);
    json settings = fhir_settings();
    settings["proxy"] = {{"url", "http://127.0.0.1:" + proxy_port},
                         {"username", ALLIANCE_TINYPROXY_USER},
                         {"password_file", password_file.string()}};
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) CHECK(row["delivery_state"] == "delivered");
    std::ifstream log(ALLIANCE_TINYPROXY_LOG);
    const std::string proxy_log((std::istreambuf_iterator<char>(log)), {});
    const std::string server_port = fhir_base_url().substr(std::string("https://localhost:").size(), 5);
    CHECK(proxy_log.find("CONNECT localhost:" + server_port.substr(0, server_port.find('/'))) != std::string::npos);
    CHECK(run.all_log_text().find(ALLIANCE_TINYPROXY_PASSWORD) == std::string::npos);
  }

  TEST_CASE("without transactions the resources are created one by one and still only once") {
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json");
    const std::string patient = scenario.patients.at(0);
    json settings = fhir_settings();
    settings["transactions"] = false;
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) CHECK(row["delivery_state"] == "delivered");
    const auto observations = fhir_search("Observation", "subject=" + patient);
    REQUIRE(observations.size() == 2);
    // The Observation refers to the QuestionnaireResponse by its server id.
    const std::string derived = observations[0]["derivedFrom"][0]["reference"];
    CHECK(fhir_request("GET", derived).status == 200);

    // Again, as after a lost confirmation: nothing new is created.
    execute_sql(run.database, "UPDATE outbox SET delivery_state = 'pending'");
    const auto again = host_sim_test::run_host_sim({"--plugin", ALLIANCE_PLUGIN_PATH, "--config",
                                                    run.configuration.string(), "--scenario",
                                                    std::string(ALLIANCE_SCENARIO_DIR) + "/idle.json"});
    REQUIRE(again.exit_status == 0);
    for (const json& row : read_administrations(run.database, run.key_file)) CHECK(row["delivery_state"] == "delivered");
    CHECK(fhir_search("Observation", "subject=" + patient).size() == 2);
    CHECK(fhir_search("QuestionnaireResponse", "subject=" + patient).size() == 2);
  }

  TEST_CASE("a resource the server rejects is kept as failed with the server's reason and not retried") {
    // The Patient does not exist on the server, which refuses the references (422).
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json", /*seed_patients=*/false);
    const ScenarioRun run = run_scenario(scenario.path, {{}, fhir_settings()});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) {
      CAPTURE(row.dump());
      CHECK(row["delivery_state"] == "failed");
      CHECK(row["delivery_attempts"] == 1);
      CHECK(row["last_error"].get<std::string>().find("HTTP 422") == 0);
      CHECK(row["last_error"].get<std::string>().find("not found") != std::string::npos);
    }
    const std::string logs = run.all_log_text();
    CHECK(logs.find("event=delivery_failed measure=ORS attempts=1 reason=\"status=422 refused_by_server\"") !=
          std::string::npos);
    CHECK(logs.find(scenario.patients.at(0).substr(8)) == std::string::npos);  // the server's text stays out of the log
  }

  TEST_CASE("with server ids and item Observations, responses name Questionnaire/<id> and totals list their items") {
    for (const bool transactions : {true, false}) {
      CAPTURE(transactions);
      const PersonalizedScenario scenario = personalize_scenario("normal_session.json");
      const std::string patient = scenario.patients.at(0);
      json settings = fhir_settings();
      settings["transactions"] = transactions;
      settings["questionnaire_reference"] = "server_id";
      settings["item_observations"] = true;
      const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
      REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
      REQUIRE(run.rows.size() == 2);
      for (const json& row : run.rows) CHECK(row["delivery_state"] == "delivered");

      // The Questionnaire is on the server once, and the responses name it by its id.
      const auto questionnaires =
          fhir_search("Questionnaire", "url=https://fhir.alliance-plugin.org/Questionnaire/ors&version=1.0.0");
      REQUIRE(questionnaires.size() == 1);
      const std::string questionnaire_id = questionnaires[0]["id"];
      const auto responses = fhir_search("QuestionnaireResponse", "subject=" + patient);
      REQUIRE(responses.size() == 2);
      bool named_by_id = false;
      for (const json& response : responses) {
        named_by_id = named_by_id || response["questionnaire"] == "Questionnaire/" + questionnaire_id;
      }
      CHECK(named_by_id);

      // Two totals and eight items; each total's hasMember resolves to an item of the
      // same client, derived from the same response.
      const auto observations = fhir_search("Observation", "subject=" + patient);
      REQUIRE(observations.size() == 10);
      const json* total = observation_with_code(observations, "716613004");
      REQUIRE(total != nullptr);
      REQUIRE((*total)["hasMember"].size() == 4);
      for (const json& member : (*total)["hasMember"]) {
        const auto item = fhir_request("GET", member["reference"].get<std::string>());
        REQUIRE(item.status == 200);
        CHECK(item.body["subject"]["reference"] == patient);
        CHECK(item.body["derivedFrom"][0] == (*total)["derivedFrom"][0]);
        CHECK(item.body["code"]["coding"][0]["system"] == "https://fhir.alliance-plugin.org/CodeSystem/pcoms-item");
      }
    }
  }
}
