// Delivery through faults, with real processes on loopback: a server that is down and
// comes up later, one that answers 503 or 500, never answers, resets or trickles its
// answer, and a host killed at random moments while it delivers a backlog. Whatever
// happens, every administration reaches the chart exactly once: the server is searched
// by each administration's identifier.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <sqlite3.h>

#include <algorithm>
#include <set>
#include <map>
#include <fstream>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "fault_support.hpp"
#include "fhir_server.hpp"
#include "scenario_run.hpp"

extern char** environ;

using namespace alliance::integration;
using nlohmann::json;

namespace {

constexpr const char* kIdentifierSystem = "https://fhir.alliance-plugin.org/sid/administration";

// Every administration is in the chart exactly once: one QuestionnaireResponse and
// one total Observation carry its identifier.
void check_each_in_chart_once(const std::vector<json>& rows, const std::string& port_file) {
  REQUIRE_FALSE(rows.empty());
  for (const json& row : rows) {
    const std::string id = row["administration_id"];
    CAPTURE(id);
    CHECK(row["delivery_state"] == "delivered");
    CHECK(fhir_search("QuestionnaireResponse", "identifier=" + std::string(kIdentifierSystem) + "|" + id, port_file).size() == 1);
    CHECK(fhir_search("Observation", "identifier=" + std::string(kIdentifierSystem) + "|" + id + "-total", port_file).size() == 1);
  }
}

// Another process's hold on the store (alliancectl, a second host): once an
// administration waits for a retry (pending after an attempt) in a store whose folder
// name holds `folder_part`, takes the write lock (BEGIN IMMEDIATE) from its own
// connection and keeps it for `hold`. Reads still work meanwhile (WAL); every write
// meets SQLITE_BUSY.
class StoreLockHolder {
 public:
  StoreLockHolder(std::string folder_part, std::chrono::milliseconds hold)
      : thread_([this, part = std::move(folder_part), hold] { run(part, hold); }) {}
  ~StoreLockHolder() { thread_.join(); }
  StoreLockHolder(const StoreLockHolder&) = delete;
  StoreLockHolder& operator=(const StoreLockHolder&) = delete;
  bool held() const { return held_; }

 private:
  void run(const std::string& part, std::chrono::milliseconds hold) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    const std::filesystem::path folder = host_sim_test::output_path("lock").parent_path();
    while (std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::error_code ignored;
      for (const auto& entry : std::filesystem::directory_iterator(folder, ignored)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("state-", 0) != 0 || name.find(part) == std::string::npos) continue;
        const std::filesystem::path database = entry.path() / "alliance.db";
        if (!std::filesystem::exists(database) || !lock_when_saved(database, hold)) continue;
        return;
      }
    }
  }
  bool lock_when_saved(const std::filesystem::path& database, std::chrono::milliseconds hold) {
    sqlite3* connection = nullptr;
    if (sqlite3_open_v2(database.c_str(), &connection, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      sqlite3_close(connection);
      return false;
    }
    sqlite3_busy_timeout(connection, 5000);
    bool locked = false;
    sqlite3_stmt* count = nullptr;
    if (sqlite3_prepare_v2(connection,
                           "SELECT COUNT(*) FROM outbox WHERE delivery_state = 'pending' AND delivery_attempts > 0",
                           -1, &count, nullptr) == SQLITE_OK &&
        sqlite3_step(count) == SQLITE_ROW && sqlite3_column_int(count, 0) > 0) {
      sqlite3_finalize(count);
      count = nullptr;
      if (sqlite3_exec(connection, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK) {
        held_ = true;
        std::this_thread::sleep_for(hold);
        sqlite3_exec(connection, "COMMIT", nullptr, nullptr, nullptr);
        locked = true;
      }
    }
    sqlite3_finalize(count);
    sqlite3_close(connection);
    return locked;
  }

  std::atomic<bool> held_{false};
  std::thread thread_;
};


}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("the server is down during the session and everything arrives once when it comes up") {
    const int port = free_port();
    LateServer server(port);
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
    const ScenarioRun run = run_scenario(scenario.path, {{}, quick_retry_settings(server.base_url())});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) CHECK(row["delivery_state"] == "pending");  // connection refused: kept

    server.start();
    seed_on(server.port_file(), scenario);
    check_each_in_chart_once(deliver_everything(run), server.port_file());
  }

  TEST_CASE("retryable answers and broken connections are retried and nothing is lost or doubled") {
    struct Plan {
      const char* name;
      json faults;
    };
    const json only_post = {{"method", "POST"}};
    const Plan plans[] = {
        {"503 with Retry-After", json::array({{{"kind", "status"}, {"status", 503}, {"retry_after", "1"}, {"count", 2}, {"match", only_post}}})},
        {"500 twice", json::array({{{"kind", "status"}, {"status", 500}, {"count", 2}, {"match", only_post}}})},
        {"429", json::array({{{"kind", "status"}, {"status", 429}, {"retry_after", "1"}, {"count", 1}, {"match", only_post}}})},
        {"accepts and never answers", json::array({{{"kind", "hang"}, {"count", 1}, {"match", only_post}}})},
        {"reset in the middle of the answer", json::array({{{"kind", "reset_mid_response"}, {"count", 2}, {"match", only_post}}})},
        {"a slow trickling answer", json::array({{{"kind", "trickle"}, {"bytes_per_second", 20}, {"count", 1}, {"match", only_post}}})},
        {"the connection closes before the answer", json::array({{{"kind", "close_before_response"}, {"count", 2}, {"match", only_post}}})},
    };
    for (const Plan& plan : plans) {
      CAPTURE(plan.name);
      const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
      seed_on(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, scenario);
      REQUIRE(server_request(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, "POST", "/_test/faults", {{"faults", plan.faults}}).status == 200);
      const ScenarioRun run =
          run_scenario(scenario.path, {{}, quick_retry_settings(fhir_base_url(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE))});
      REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
      REQUIRE(run.rows.size() == 2);
      const std::vector<json> rows = deliver_everything(run);
      const FhirAnswer used = server_request(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, "GET", "/_test/faults");
      CHECK(used.body["faults"][0]["remaining"] == 0);  // the fault really happened
      check_each_in_chart_once(rows, ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE);
      server_request(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, "DELETE", "/_test/faults");
    }
  }

  TEST_CASE("a host killed at random moments while it delivers a backlog leaves every administration in the chart once") {
    // A backlog: twenty sessions while the server is down, forty administrations.
    const int port = free_port();
    LateServer server(port);
    const PersonalizedScenario scenario = backlog_scenario("backlog.json");
    json settings = quick_retry_settings(server.base_url());
    settings["concurrency"] = 2;
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    REQUIRE(run.rows.size() == 40);

    server.start();
    seed_on(server.port_file(), scenario);
    kill_while_delivering(run, 6);
    const std::vector<json> rows = deliver_everything(run);
    CHECK(rows.size() == 40);
    check_each_in_chart_once(rows, server.port_file());
  }

  TEST_CASE("a 401 gets one new token and one more try and a second 401 fails the administration") {
    // A SMART server of this test's own, so that its fault plan disturbs no other test.
    LateServer server(free_port(), std::string("--jwks ") + ALLIANCE_TEST_KEYS + "/jwks.json --client-id alliance-test-client "
                                                         "--token-lifetime 300 --require-token");
    server.start();
    const std::string authorization = smart_test_authorization(server.port_file());
    json settings = quick_retry_settings(server.base_url());
    settings["concurrency"] = 1;
    settings["smart"] = {{"client_id", "alliance-test-client"},
                         {"private_key_file", std::string(ALLIANCE_TEST_KEYS) + "/rs384.key"},
                         {"key_id", "alliance-rs384"}};
    const json only_post = {{"method", "POST"}};
    struct Case {
      int refusals;
      const char* state;
    };
    for (const Case& item : {Case{1, "delivered"}, Case{2, "failed"}}) {
      CAPTURE(item.refusals);
      const PersonalizedScenario scenario = personalize_scenario("client_leaves_early.json", false);
      seed_on(server.port_file(), scenario, authorization);
      REQUIRE(server_request(server.port_file(), "POST", "/_test/faults",
                             {{"faults", json::array({{{"kind", "status"}, {"status", 401}, {"count", item.refusals},
                                                       {"match", only_post}}})}})
                  .status == 200);
      const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
      REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
      REQUIRE(run.rows.size() == 1);  // the ORS (the client leaves before the SRS)
      CHECK(run.rows[0]["delivery_state"] == item.state);
      CHECK(run.rows[0]["delivery_attempts"] == 1);  // the renewal is part of the one attempt
      CHECK(run.all_log_text().find("event=token_refused action=renew") != std::string::npos);
      CHECK(server_request(server.port_file(), "GET", "/_test/faults").body["faults"][0]["remaining"] == 0);
    }
  }
  TEST_CASE("a history read refused with 401 gets one new token, and a second 401 leaves the history out") {
    LateServer server(free_port(), std::string("--jwks ") + ALLIANCE_TEST_KEYS + "/jwks.json --client-id alliance-test-client "
                                                         "--token-lifetime 300 --require-token");
    server.start();
    const std::string authorization = smart_test_authorization(server.port_file());
    json settings = quick_retry_settings(server.base_url());
    settings["read_history"] = true;
    settings["smart"] = {{"client_id", "alliance-test-client"},
                         {"private_key_file", std::string(ALLIANCE_TEST_KEYS) + "/rs384.key"},
                         {"key_id", "alliance-rs384"}};
    for (const int refusals : {1, 2}) {
      CAPTURE(refusals);
      const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
      seed_on(server.port_file(), scenario, authorization);
      const std::string patient = scenario.patients.at(0);
      // Another site's ORS, two weeks ago: with the history read, today's ORS is session 2.
      const json earlier = other_site_ors(patient, 15.0, "2026-01-05T10:00:00Z");
      REQUIRE(fhir_request("POST", "Observation", earlier, server.port_file(), authorization).status == 201);
      // The ORS waits until the read at session start has come back.
      json document = host_sim_test::read_json(scenario.path);
      json& steps = document["sessions"][0]["steps"];
      for (size_t index = 0; index < steps.size(); ++index) {
        if (steps[index]["action"] != "send") continue;
        steps.insert(steps.begin() + static_cast<std::ptrdiff_t>(index), json{{"action", "wait"}, {"ms", 1500}});
        break;
      }
      const std::string path =
          host_sim_test::write_output_file("history-401-" + std::to_string(refusals) + ".json", document.dump(2)).string();
      const json only_history = {{"method", "GET"}, {"path_prefix", "/fhir/R4/Observation"}};
      REQUIRE(server_request(server.port_file(), "POST", "/_test/faults",
                             {{"faults", json::array({{{"kind", "status"}, {"status", 401}, {"count", refusals},
                                                       {"match", only_history}}})}})
                  .status == 200);
      const ScenarioRun run = run_scenario(path, {{}, settings});
      REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
      const auto results = run.messages_to("clinician-kim", "result");
      REQUIRE_FALSE(results.empty());
      const std::string log = run.all_log_text();
      CHECK(log.find("event=token_refused action=renew for=history") != std::string::npos);
      if (refusals == 1) {
        CHECK(results[0]["session_number"] == 2);  // the other site's ORS was read
      } else {
        CHECK(results[0]["session_number"] == 1);  // no history: scoring did not wait for it
        CHECK(log.find("event=history_failed pages=0 reason=http_status status=401") != std::string::npos);
      }
      CHECK(server_request(server.port_file(), "GET", "/_test/faults").body["faults"][0]["remaining"] == 0);
    }
  }

  TEST_CASE("a Questionnaire create answered 201 with neither Location nor a readable body does not stop delivery") {
    // Issue 12: the answer's body {"resourceType":1} made reading it throw inside the
    // HTTPS callback; the dispatcher dropped the exception, the push never settled, and
    // nothing was sent again in that run (the row stayed in flight, drained=no).
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
    seed_on(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, scenario);
    const json malformed_created = {{"kind", "status"},
                                    {"status", 201},
                                    {"body", {{"resourceType", 1}}},
                                    {"count", 1},
                                    {"match", {{"method", "POST"}, {"path_prefix", "/fhir/R4/Questionnaire"}}}};
    REQUIRE(server_request(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, "POST", "/_test/faults",
                           {{"faults", json::array({malformed_created})}})
                .status == 200);
    json settings = quick_retry_settings(fhir_base_url(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE));
    settings["ensure_questionnaires"] = true;
    settings["concurrency"] = 1;  // one connection: a wedged push would hold everything behind it
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    CHECK(server_request(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, "GET", "/_test/faults").body["faults"][0]["remaining"] == 0);
    const std::string log = run.all_log_text();
    CHECK_MESSAGE(log.find("event=plugin_stopped drained=yes") != std::string::npos, log);
    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) CHECK(row["delivery_state"] != "in_flight");
    // The answer is the server's problem, not the result's: the ORS waits with a
    // backoff and goes on the next try, once.
    check_each_in_chart_once(deliver_everything(run), ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE);
    server_request(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, "DELETE", "/_test/faults");
  }

  TEST_CASE("a store held by another process for 6 s delays results and their delivery but loses none") {
    // Issue 12: with the store locked, the retry timer's look into the store threw and
    // was never armed again, and a submit that met the lock told the client its answers
    // were not saved, so the therapist never saw the result.
    PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
    seed_on(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, scenario);
    json document = host_sim_test::read_json(scenario.path);
    json& steps = document["sessions"][0]["steps"];
    // The SRS is sent half a second after the session ended: while the store is locked.
    for (size_t index = 0; index < steps.size(); ++index) {
      if (steps[index]["action"] != "end") continue;
      steps.insert(steps.begin() + static_cast<std::ptrdiff_t>(index) + 1, json{{"action", "wait"}, {"ms", 500}});
      break;
    }
    steps.push_back({{"action", "wait"}, {"ms", 8000}});  // time to deliver after the lock
    const std::string stem = "busy-store-" + std::to_string(getpid());
    scenario.path = host_sim_test::write_output_file(stem + ".json", document.dump(2)).string();
    // The ORS's first push meets a 503, so it is pending (retried after a second) when
    // the lock comes: the retry timer meets the lock.
    REQUIRE(server_request(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, "POST", "/_test/faults",
                           {{"faults", json::array({{{"kind", "status"}, {"status", 503}, {"retry_after", "1"},
                                                     {"count", 2}, {"match", {{"method", "POST"}}}}})}})
                .status == 200);
    json settings = quick_retry_settings(fhir_base_url(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE));
    settings["store_check_seconds"] = 1;
    ScenarioRun run;
    bool lock_held = false;
    {
      StoreLockHolder lock(stem, std::chrono::seconds(6));
      run = run_scenario(scenario.path, {{"--step-timeout-ms", "20000"}, settings});
      lock_held = lock.held();
    }
    REQUIRE(lock_held);
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));  // the SRS was "saved", after the lock
    CHECK(run.messages_to("clinician-kim", "result").size() == 2);
    CHECK(run.messages_to("client-alex", "error").empty());
    CHECK(run.all_log_text().find("store_busy") != std::string::npos);
    REQUIRE(run.rows.size() == 2);
    // Delivered within the run (no restart needed), each once.
    check_each_in_chart_once(run.rows, ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE);
    server_request(ALLIANCE_FHIR_SERVER_FAULTS_PORT_FILE, "DELETE", "/_test/faults");
  }
}
