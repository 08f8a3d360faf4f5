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

#include "fhir_server.hpp"
#include "scenario_run.hpp"

extern char** environ;

using namespace alliance::integration;
using nlohmann::json;

namespace {

constexpr const char* kIdentifierSystem = "https://fhir.alliance-plugin.org/sid/administration";

// A test FHIR server of its own, started on a chosen port when the test says so.
class LateServer {
 public:
  explicit LateServer(int port, std::string options = "")
      : port_(port), options_(std::move(options)), folder_(host_sim_test::output_path("late-server")) {}
  ~LateServer() { stop(); }
  LateServer(const LateServer&) = delete;
  LateServer& operator=(const LateServer&) = delete;
  void start() {
    const std::string command = std::string(ALLIANCE_FHIR_SERVER_START) + " '" + ALLIANCE_TEST_CERTIFICATES + "' '" +
                                folder_.string() + "' --port " + std::to_string(port_) + " " + options_ +
                                " > /dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    started_ = true;
  }
  void stop() {
    if (!started_) return;
    // Stopping is best effort (the server may have gone already); its status says nothing
    // about the test.
    const int stopped =
        std::system((std::string(ALLIANCE_FHIR_SERVER_STOP) + " '" + folder_.string() + "' > /dev/null 2>&1").c_str());
    static_cast<void>(stopped);
    started_ = false;
  }
  std::string port_file() const { return (folder_ / "fhir-server.port").string(); }
  std::string base_url() const { return "https://localhost:" + std::to_string(port_) + "/fhir/R4"; }

 private:
  int port_;
  std::string options_;
  std::filesystem::path folder_;
  bool started_ = false;
};

json quick_retry_settings(const std::string& base_url) {
  return {{"base_url", base_url}, {"ca_file", test_certificate("ca.pem")}, {"timeout_seconds", 1},
          {"retry_initial_seconds", 1}, {"retry_maximum_seconds", 1}};
}

host_sim_test::HostSimRun run_idle(const ScenarioRun& run) {
  return host_sim_test::run_host_sim({"--plugin", ALLIANCE_PLUGIN_PATH, "--config", run.configuration.string(),
                                      "--scenario", std::string(ALLIANCE_SCENARIO_DIR) + "/idle.json"});
}

// Starts the host again (an idle session) until the store has nothing left pending.
std::vector<json> deliver_everything(const ScenarioRun& run, int most_runs = 10) {
  std::vector<json> rows = read_administrations(run.database, run.key_file);
  for (int attempt = 0; attempt < most_runs; ++attempt) {
    const bool all_delivered =
        std::all_of(rows.begin(), rows.end(), [](const json& row) { return row["delivery_state"] == "delivered"; });
    if (all_delivered) break;
    const auto idle = run_idle(run);
    REQUIRE_MESSAGE(idle.exit_status == 0, idle.standard_output);
    rows = read_administrations(run.database, run.key_file);
  }
  return rows;
}

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


// The "fhir" settings of a clinic on an emulated EHR (without credentials: a server
// of the test's own, which requires no token) for a server at `base_url`.
json emulated_chart_settings(const std::string& emulation, const std::string& base_url) {
  json settings = quick_retry_settings(base_url);
  std::ifstream file(std::string(ALLIANCE_EMULATIONS_DIR) + "/" + emulation + "-chart.json");
  settings.update(json::parse(file));
  return settings;
}

std::string emulation_options(const std::string& emulation) {
  return "--emulate " + emulation + " --flowsheet-rows '" + ALLIANCE_EMULATIONS_DIR + "/" + emulation + "-rows.json'";
}

// Under a chart profile: each administration's rows are in the chart once, found as the
// EHR finds a reading (patient, row code; one per moment of rating), and its note is
// there at least once. Returns how many notes are there more than once: where the
// EHR can find neither by identifier nor by the note's own time (docs/chart-profiles.md).
int check_each_reading_once(const std::vector<json>& rows, const json& settings, const std::string& port_file) {
  REQUIRE_FALSE(rows.empty());
  std::map<std::string, std::map<std::string, int>> administrations;  // patient -> measure -> count
  for (const json& row : rows) {
    CAPTURE(row.dump());
    CHECK(row["delivery_state"] == "delivered");
    ++administrations[row["patient_reference"].get<std::string>()][row["measure"].get<std::string>()];
  }
  const json& chart = settings["chart"];
  int extra_notes = 0;
  for (const auto& [patient, measures] : administrations) {
    int notes_expected = 0;
    for (const auto& [measure, count] : measures) {
      CAPTURE(measure);
      notes_expected += count;
      std::vector<json> codings = {chart["flowsheet"]["rows"][measure]["total"]};
      for (const json& item : chart["flowsheet"]["rows"][measure]["items"]) codings.push_back(item);
      for (const json& coding : codings) {
        const auto found = fhir_search(
            "Observation", "patient=" + patient + "&code=" + coding["system"].get<std::string>() + "|" +
                               coding["code"].get<std::string>(), port_file);
        std::set<std::string> moments;
        for (const json& reading : found) moments.insert(reading["effectiveDateTime"].get<std::string>());
        CHECK(found.size() == static_cast<size_t>(count));
        CHECK(moments.size() == static_cast<size_t>(count));
      }
    }
    const json& type = chart["document"]["type"];
    const auto notes = fhir_search("DocumentReference",
                                   "patient=" + patient + "&type=" + type["system"].get<std::string>() + "|" +
                                       type["code"].get<std::string>(),
                                   port_file);
    CHECK(notes.size() >= static_cast<size_t>(notes_expected));
    extra_notes += static_cast<int>(notes.size()) - notes_expected;
  }
  return extra_notes;
}

// A backlog of twenty sessions (forty administrations) made while the server is down.
PersonalizedScenario backlog_scenario(const std::string& name) {
  PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
  json many = host_sim_test::read_json(scenario.path);
  const json session = many["sessions"][0];
  many["sessions"] = json::array();
  for (int index = 0; index < 20; ++index) {
    json copy = session;
    copy["session_id"] = "visit-backlog-" + std::to_string(index);
    many["sessions"].push_back(copy);
  }
  scenario.path = host_sim_test::write_output_file(name, many.dump()).string();
  return scenario;
}

// Starts the host on the run's store `kills` times, killing it (SIGKILL) after a
// random moment of 5 to 250 ms each time.
void kill_while_delivering(const ScenarioRun& run, int kills) {
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> moment(5, 250);
  for (int kill = 0; kill < kills; ++kill) {
    std::vector<std::string> words{ALLIANCE_HOST_SIM_PATH, "--plugin", ALLIANCE_PLUGIN_PATH, "--config",
                                   run.configuration.string(), "--scenario",
                                   std::string(ALLIANCE_SCENARIO_DIR) + "/idle.json"};
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t child = 0;
    REQUIRE(posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    std::this_thread::sleep_for(std::chrono::milliseconds(moment(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
  }
}

// Exactly once under an EHR's chart profile, where the server takes no conditional
// creates: down then up, a write applied whose answer is a 500 or lost, and a host
// killed at random moments during a backlog. Returns the notes written twice.
int exactly_once_under(const std::string& emulation) {
  const int port = free_port();
  LateServer server(port, emulation_options(emulation));
  const json settings = emulated_chart_settings(emulation, server.base_url());
  int extra_notes = 0;

  const PersonalizedScenario down = personalize_scenario("normal_session.json", false);
  const ScenarioRun while_down = run_scenario(down.path, {{}, settings});
  REQUIRE_MESSAGE(while_down.process.exit_status == 0, describe(while_down));
  for (const json& row : while_down.rows) CHECK(row["delivery_state"] == "pending");
  server.start();
  seed_on(server.port_file(), down);
  extra_notes += check_each_reading_once(deliver_everything(while_down), settings, server.port_file());

  const json only_post = {{"method", "POST"}};
  const json plans[] = {
      json::array({{{"kind", "status_after_processing"}, {"status", 500}, {"count", 3}, {"match", only_post}}}),
      json::array({{{"kind", "close_before_response"}, {"count", 3}, {"match", only_post}}}),
      // A reading stored whose answer is a 500, then a search that does not see it yet
      // (an index behind its writes): the repeated reading is refused as already there,
      // which counts once the search confirms it.
      json::array({{{"kind", "status_after_processing"},
                    {"status", 500},
                    {"count", 1},
                    {"match", {{"method", "POST"}, {"path_prefix", "/fhir/R4/Observation"}}}},
                   {{"kind", "status"},
                    {"status", 200},
                    {"body", {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", 0}}},
                    {"count", 2},
                    {"match", {{"method", "GET"}, {"path_prefix", "/fhir/R4/Observation"}}}}}),
      // A note stored whose answer is a 500: the retry must find it.
      json::array({{{"kind", "status_after_processing"},
                    {"status", 500},
                    {"count", 1},
                    {"match", {{"method", "POST"}, {"path_prefix", "/fhir/R4/DocumentReference"}}}}}),
  };
  for (const json& plan : plans) {
    CAPTURE(plan.dump());
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
    seed_on(server.port_file(), scenario);
    REQUIRE(server_request(server.port_file(), "POST", "/_test/faults", {{"faults", plan}}).status == 200);
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    const std::vector<json> rows = deliver_everything(run);
    const FhirAnswer used = server_request(server.port_file(), "GET", "/_test/faults");
    for (const json& fault : used.body["faults"]) CHECK(fault["remaining"] == 0);  // each fault really happened
    extra_notes += check_each_reading_once(rows, settings, server.port_file());
    server_request(server.port_file(), "DELETE", "/_test/faults");
  }

  server.stop();
  const PersonalizedScenario backlog = backlog_scenario(emulation + "-backlog.json");
  json concurrent = settings;
  concurrent["concurrency"] = 2;
  const ScenarioRun run = run_scenario(backlog.path, {{}, concurrent});
  REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
  REQUIRE(run.rows.size() == 40);
  server.start();
  seed_on(server.port_file(), backlog);
  kill_while_delivering(run, 6);
  const std::vector<json> rows = deliver_everything(run);
  CHECK(rows.size() == 40);
  extra_notes += check_each_reading_once(rows, concurrent, server.port_file());
  return extra_notes;
}

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

  TEST_CASE("Epic's profile keeps every reading and note once through outages, lost answers and kills") {
    // Rows and notes are found again by patient, code or type, and time: nothing twice.
    CHECK(exactly_once_under("epic") == 0);
  }

  TEST_CASE("Oracle Health's profile keeps every reading once; a note whose answer was lost may be written twice") {
    // Oracle Health keeps no identifier and sets a document's date itself, so an earlier
    // attempt's PDF cannot be found (docs/chart-profiles.md): the count is reported.
    const int extra_notes = exactly_once_under("oracle-health");
    MESSAGE("Oracle Health: notes written twice in this run: " << extra_notes);
    // The note whose answer was a 500 is written again: the gap is real, and measured.
    // When this fails, earlier notes are found again: update docs/chart-profiles.md.
    CHECK(extra_notes >= 1);
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
