// alliancectl as a process: its exit status and what it prints, against a store the
// plugin made (through host-sim) and the test FHIR servers.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "fhir_server.hpp"
#include "store/outbox_keys.hpp"
#include "scenario_run.hpp"
#include "store/store.hpp"
#include "support/files.hpp"

using nlohmann::json;
using namespace alliance::integration;

namespace {

struct Run {
  int exit_status = -1;
  std::string output;  // standard output and error together
};

std::string quoted(const std::string& text) {
  std::string result = "'";
  for (char character : text) result += character == '\'' ? std::string("'\\''") : std::string(1, character);
  return result + "'";
}

Run alliancectl(const std::vector<std::string>& arguments) {
  std::string command = quoted(ALLIANCECTL_PATH);
  for (const std::string& argument : arguments) command += " " + quoted(argument);
  command += " 2>&1";
  Run run;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, read);
  const int status = ::pclose(pipe);
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

bool has(const Run& run, const std::string& part) { return run.output.find(part) != std::string::npos; }

std::string unique_name(const std::string& what) {
  static int runs = 0;
  return "alliancectl-" + what + "-" + std::to_string(getpid()) + "-" + std::to_string(++runs);
}

// A port on 127.0.0.1 where nothing listens: bound, then closed again.
int closed_port() {
  const int socket_handle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(socket_handle, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  ::getsockname(socket_handle, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(socket_handle);
  return ntohs(address.sin_port);
}

// A test FHIR server of the test's own, for options that would change what every other
// test of the shared fixtures sees (no transactions, fewer scopes granted).
class OwnServer {
 public:
  OwnServer(const std::string& name, const std::vector<std::string>& options)
      : folder_(host_sim_test::output_path(unique_name(name))) {
    std::string command = quoted(ALLIANCE_FHIR_SERVER_START) + " " + quoted(ALLIANCE_TEST_CERTIFICATES) + " " +
                          quoted(folder_.string());
    for (const std::string& option : options) command += " " + quoted(option);
    started_ = std::system((command + " > /dev/null 2>&1").c_str()) == 0;
  }
  ~OwnServer() {
    // Best effort: the server may have stopped already.
    const int stopped =
        std::system((quoted(ALLIANCE_FHIR_SERVER_STOP) + " " + quoted(folder_.string()) + " > /dev/null 2>&1").c_str());
    static_cast<void>(stopped);
  }
  OwnServer(const OwnServer&) = delete;
  OwnServer& operator=(const OwnServer&) = delete;

  bool started() const { return started_; }
  std::string port_file() const { return (folder_ / "fhir-server.port").string(); }

 private:
  std::filesystem::path folder_;
  bool started_ = false;
};

// The options of the shared SMART fixture (smart.cmake), plus `more`.
std::vector<std::string> smart_server_options(const std::vector<std::string>& more = {}) {
  std::vector<std::string> options = {"--jwks", std::string(ALLIANCE_TEST_KEYS) + "/jwks.json", "--client-id",
                                      "alliance-test-client", "--require-token"};
  options.insert(options.end(), more.begin(), more.end());
  return options;
}

json smart_client_settings(const std::string& port_file) {
  json fhir = fhir_settings(port_file);
  fhir["smart"] = {{"client_id", "alliance-test-client"},
                   {"private_key_file", std::string(ALLIANCE_TEST_KEYS) + "/rs384.key"},
                   {"key_id", "alliance-rs384"}};
  return fhir;
}

void execute_sql(const std::filesystem::path& database, const std::string& sql) {
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open(database.c_str(), &handle) == SQLITE_OK);
  char* error = nullptr;
  const int status = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(handle);
  REQUIRE_MESSAGE(status == SQLITE_OK, message);
}

// The bytes a terminal would obey rather than show: C0 controls but the line break,
// DEL, C1 controls (U+0080..U+009F in UTF-8) and bytes that are not UTF-8 at all.
std::string terminal_controls_in(const std::string& text) {
  std::string found;
  for (std::size_t index = 0; index < text.size(); ++index) {
    const auto byte = static_cast<unsigned char>(text[index]);
    const bool c1 = byte == 0xC2 && index + 1 < text.size() && static_cast<unsigned char>(text[index + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[index + 1]) <= 0x9F;
    if ((byte < 0x20 && byte != '\n') || byte == 0x7F || c1 || byte == 0xFF || byte == 0xFE) {
      found += "[" + std::to_string(byte) + " at " + std::to_string(index) + "]";
    }
  }
  return found;
}

// What a hostile or broken server could put in its words: a new window title, a
// cleared screen, a colour, a forged line of alliancectl's own, a C1 CSI, DEL. (A
// JSON string holds only these; a stored answer may also hold bytes that are no UTF-8.)
const std::string kTerminalAttack =
    "\x1b]0;owned\x07\x1b[2J\x1b[31mred\nresult: nothing needs attention\xc2\x9b" "1m\x7f end";

}  // namespace

TEST_SUITE("alliancectl") {
  TEST_CASE("help lists the commands") {
    const Run run = alliancectl({"--help"});
    CHECK(run.exit_status == 0);
    for (const char* command : {"check-config", "status", "retry", "purge", "test-connection", "jwks"}) {
      CHECK(has(run, command));
    }
    CHECK(alliancectl({"frobnicate"}).exit_status == 2);
  }

  TEST_CASE("jwks prints the public half of the configured key, as the EHR's registered set holds it") {
    // The test server's registered set (jwks.json) was exported from the same keys by
    // Node's crypto: the two must agree member by member, and hold no private number.
    const json registered = json::parse(alliance::testing::read_file(std::string(ALLIANCE_TEST_KEYS) + "/jwks.json"));
    // No server is reached: the command reads the key only.
    auto settings_with_key = [](const std::string& key_file, const std::string& key_id) {
      return json{{"base_url", "https://ehr.example.org/fhir/R4"},
                  {"smart", {{"client_id", "alliance-test-client"}, {"private_key_file", key_file}, {"key_id", key_id}}}};
    };
    for (const char* name : {"rs384", "es384"}) {
      CAPTURE(name);
      const json fhir =
          settings_with_key(std::string(ALLIANCE_TEST_KEYS) + "/" + name + ".key", std::string("alliance-") + name);
      const Run run =
          alliancectl({"jwks", "--config", write_run_configuration(unique_name(name), fhir).string()});
      REQUIRE_MESSAGE(run.exit_status == 0, run.output);
      const json printed = json::parse(run.output);
      REQUIRE(printed.at("keys").size() == 1);
      const json& key = printed["keys"][0];
      json expected;
      for (const json& candidate : registered.at("keys")) {
        if (candidate.at("kid") == key.at("kid")) expected = candidate;
      }
      REQUIRE_MESSAGE(expected.is_object(), key.dump());
      CHECK(key == expected);
      for (const char* secret : {"d", "p", "q", "dp", "dq", "qi"}) CHECK_FALSE(key.contains(secret));
    }

    // Without fhir.smart there is no key; a key file others may read is refused as the
    // plugin refuses it, and its content is not printed.
    json without_smart = settings_with_key("", "");
    without_smart.erase("smart");
    const Run no_smart =
        alliancectl({"jwks", "--config", write_run_configuration(unique_name("no-smart"), without_smart).string()});
    CHECK(no_smart.exit_status == 1);
    CHECK(has(no_smart, "fhir.smart: not configured"));
    const std::filesystem::path exposed = host_sim_test::output_path(unique_name("exposed") + ".key");
    std::filesystem::copy_file(std::string(ALLIANCE_TEST_KEYS) + "/es384.key", exposed);
    std::filesystem::permissions(exposed, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
    const json fhir = settings_with_key(exposed.string(), "alliance-es384");
    const Run refused = alliancectl({"jwks", "--config", write_run_configuration(unique_name("exposed"), fhir).string()});
    CHECK(refused.exit_status == 1);
    CHECK_MESSAGE(has(refused, "fhir.smart.private_key_file: "), refused.output);
    CHECK(has(refused, exposed.string()));
    CHECK_FALSE(has(refused, "BEGIN"));
  }

  TEST_CASE("check-config lists every problem of a broken file by key") {
    const auto file = host_sim_test::write_output_file(
        "broken-alliance.json",
        R"({"store": {"path": "x.db"}, "scoring": {"reliable_change": 99}, "colour": "blue"})");
    const Run run = alliancectl({"check-config", file.string()});
    CHECK(run.exit_status == 1);
    CHECK(has(run, "store.key_file: "));
    CHECK(has(run, "scoring.reliable_change: "));
    CHECK(has(run, "colour: "));
    CHECK(has(run, "measures: "));
  }

  TEST_CASE("check-config accepts a working configuration and names a missing key file") {
    const auto configuration = write_run_configuration(unique_name("check"), fhir_settings());
    const Run valid = alliancectl({"check-config", "--config", configuration.string()});
    CHECK_MESSAGE(valid.exit_status == 0, valid.output);
    CHECK(has(valid, "configuration is valid: " + configuration.string()));
    CHECK(has(valid, "measures: ORS SRS CORS CSRS YCORS GSRS CGSRS from "));
    CHECK(has(valid, "(the plugin creates it when it first starts)"));
    CHECK(has(valid, "record system: https://localhost:"));

    const auto unsent = write_run_configuration(unique_name("check-unsent"));
    const Run nothing_sent = alliancectl({"check-config", unsent.string()});
    CHECK_MESSAGE(nothing_sent.exit_status == 0, nothing_sent.output);
    CHECK(has(nothing_sent, "record system: none (no fhir section)"));

    std::filesystem::remove(key_file_of(configuration));
    const Run missing_key = alliancectl({"check-config", configuration.string()});
    CHECK(missing_key.exit_status == 1);
    CHECK(has(missing_key, "store.key_file: "));
  }

  TEST_CASE("status retry and purge work on a store the plugin made") {
    const ScenarioRun scenario = run_scenario("normal_session.json");
    REQUIRE_MESSAGE(scenario.process.exit_status == 0, scenario.process.standard_error);
    REQUIRE(scenario.rows.size() == 2);
    const std::string configuration = scenario.configuration.string();

    const Run status = alliancectl({"status", "--config", configuration});
    CHECK_MESSAGE(status.exit_status == 0, status.output);
    CHECK(has(status, "outbox: pending 2 in_flight 0 delivered 0 failed 0"));
    CHECK(has(status, "oldest pending: saved "));
    CHECK(has(status, "recent delivery problems: none"));
    CHECK(has(status, "result: nothing needs attention"));

    // Both fail, with a last_error that must never be shown (it may quote the server).
    execute_sql(scenario.database,
                "UPDATE outbox SET delivery_state = 'failed', last_error = X'5345435245542D504849'; "
                "INSERT INTO delivery_attempts SELECT administration_id, '2030-01-01T00:00:00.000Z', 'failed', 422, "
                "'the server refused the bundle' FROM outbox;");
    const Run failed = alliancectl({"status", "--config", configuration, "--limit", "1"});
    CHECK(has(failed, "outbox: pending 0 in_flight 0 delivered 0 failed 2"));
    CHECK(has(failed, "HTTP 422): the server refused the bundle"));
    CHECK(has(failed, "at most 1"));
    CHECK_FALSE(has(failed, "SECRET"));
    CHECK(failed.exit_status == 1);  // monitoring can run status
    CHECK(has(failed, "needs attention: 2 results were refused: alliancectl show ID says why"));

    const Run retry = alliancectl({"retry", "--config", configuration});
    CHECK(retry.exit_status == 0);
    CHECK(has(retry, "retry: 2 failed items pending again"));
    CHECK(has(alliancectl({"status", "--config", configuration}), "outbox: pending 2 in_flight 0 delivered 0 failed 0"));

    // Results that wait long need attention only where a record system should take them.
    execute_sql(scenario.database, "UPDATE outbox SET created_at = '2020-01-01T00:00:00.000Z';");
    const Run unsent = alliancectl({"status", "--config", configuration});
    CHECK(unsent.exit_status == 0);
    CHECK(has(unsent, "fhir: not configured"));
    json with_record_system = host_sim_test::read_json(scenario.configuration);
    with_record_system["fhir"] = fhir_settings();
    const auto sending = scenario.configuration.parent_path() / (unique_name("sending") + ".json");
    std::ofstream(sending) << with_record_system.dump(2);
    const Run waiting = alliancectl({"status", "--config", sending.string()});
    CHECK(waiting.exit_status == 1);
    CHECK(has(waiting, "needs attention: results have waited more than 60 min to be sent"));
    CHECK(alliancectl({"status", "--config", sending.string(), "--pending-limit", "100000000"}).exit_status == 2);

    const Run purge = alliancectl({"purge", "--config", configuration});
    CHECK(purge.exit_status == 0);
    CHECK(has(purge, "purge: 0 delivered payloads dropped"));
  }

  TEST_CASE("IT fixes what the server refused and retries while the host runs: no restart needed") {
    // The client is not yet in the record system, so the server refuses both results;
    // IT sees that, creates the client there, and runs alliancectl retry while the host
    // keeps running; the plugin finds the items pending again at its next store check.
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json", /*seed_patients=*/false);
    json steps = host_sim_test::read_json(scenario.path);
    steps["sessions"][0]["steps"].push_back({{"action", "wait"}, {"ms", 12000}});
    const auto scenario_file = host_sim_test::write_output_file(unique_name("retry") + "-scenario.json", steps.dump(2));
    json fhir = fhir_settings();
    fhir["store_check_seconds"] = 1;
    const std::string name = unique_name("retry");
    const auto configuration = write_run_configuration(name, fhir);
    host_sim_test::HostSimRun host;
    std::thread host_thread([&] {
      host = host_sim_test::run_host_sim({"--plugin", ALLIANCE_PLUGIN_PATH, "--config", configuration.string(),
                                          "--scenario", scenario_file.string()});
    });
    const auto status_has = [&](const std::string& part, std::chrono::seconds limit) {
      const auto end = std::chrono::steady_clock::now() + limit;
      Run status;
      while (std::chrono::steady_clock::now() < end) {
        status = alliancectl({"status", "--config", configuration.string()});
        if (has(status, part)) return status;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      FAIL_CHECK("status never said \"" << part << "\": " << status.output);
      return status;
    };
    const Run refused = status_has("outbox: pending 0 in_flight 0 delivered 0 failed 2", std::chrono::seconds(15));
    CHECK(has(refused, "failed (attempt failed, HTTP "));
    // IT looks closer at one of them: the server's own words say what to fix.
    const std::size_t id_at = refused.output.find("[administration ");
    REQUIRE(id_at != std::string::npos);
    const std::string id = refused.output.substr(id_at + 16, refused.output.find(']', id_at) - id_at - 16);
    const Run shown = alliancectl({"show", id, "--config", configuration.string()});
    CHECK_MESSAGE(shown.exit_status == 0, shown.output);
    CHECK(has(shown, "administration " + id + ": "));
    CHECK(has(shown, "failed after 1 attempt"));
    CHECK(has(shown, "do not paste it into a ticket"));
    CHECK(has(shown, "HTTP 4"));
    const Run unknown = alliancectl({"show", "no-such-id", "--config", configuration.string()});
    CHECK(unknown.exit_status == 1);
    CHECK(has(unknown, "no administration no-such-id"));
    seed_on(ALLIANCE_FHIR_SERVER_PORT_FILE, scenario);
    const Run retry = alliancectl({"retry", "--config", configuration.string()});
    CHECK(has(retry, "retry: 2 failed items pending again"));
    status_has("outbox: pending 0 in_flight 0 delivered 2 failed 0", std::chrono::seconds(15));
    host_thread.join();
    CHECK_MESSAGE(host.exit_status == 0, host.standard_error);
    CHECK(fhir_search("QuestionnaireResponse", "subject=" + scenario.patients.front()).size() == 2);
  }

  TEST_CASE("status does not create a store that is not there") {
    const auto configuration = write_run_configuration(unique_name("nostore"));
    const Run run = alliancectl({"status", "--config", configuration.string()});
    CHECK(run.exit_status == 1);
    CHECK(has(run, "store.path: there is no store"));
  }

  TEST_CASE("test-connection reports a server that offers everything") {
    const auto configuration = write_run_configuration(unique_name("good"), fhir_settings());
    const Run run = alliancectl({"test-connection", "--config", configuration.string()});
    CHECK_MESSAGE(run.exit_status == 0, run.output);
    CHECK(has(run, "reached the server"));
    CHECK(has(run, "FHIR version: 4.0.1"));
    CHECK(has(run, "transaction: supported"));
    CHECK(has(run, "QuestionnaireResponse: create and conditional create supported"));
    CHECK(has(run, "Observation: create and conditional create supported"));
  }

  TEST_CASE("test-connection says the certificate is not trusted with another CA file") {
    json fhir = fhir_settings();
    fhir["ca_file"] = test_certificate("other-ca.pem");
    const Run run = alliancectl({"test-connection", "--config", write_run_configuration(unique_name("ca"), fhir).string()});
    CHECK(run.exit_status == 1);
    CHECK_MESSAGE(has(run, "certificate is not trusted"), run.output);
    CHECK(has(run, "fhir.ca_file"));
    CHECK_FALSE(has(run, "(check ca_file"));  // the advice is given once, with the setting's full name
  }

  TEST_CASE("test-connection names a host name mismatch") {
    json fhir = fhir_settings();
    std::string url = fhir["base_url"];
    url.replace(url.find("localhost"), std::string("localhost").size(), "127.0.0.1");
    fhir["base_url"] = url;
    const Run run = alliancectl({"test-connection", "--config", write_run_configuration(unique_name("host"), fhir).string()});
    CHECK(run.exit_status == 1);
    CHECK_MESSAGE(has(run, "host name mismatch"), run.output);
  }

  TEST_CASE("test-connection says it cannot connect to a closed port") {
    json fhir = fhir_settings();
    fhir["base_url"] = "https://127.0.0.1:" + std::to_string(closed_port()) + "/fhir/R4";
    const Run run = alliancectl({"test-connection", "--config", write_run_configuration(unique_name("closed"), fhir).string()});
    CHECK(run.exit_status == 1);
    CHECK_MESSAGE(has(run, "cannot connect to the server"), run.output);
  }

  TEST_CASE("test-connection names the client certificate settings for the mutual TLS server") {
    json fhir = fhir_settings(ALLIANCE_FHIR_SERVER_MTLS_PORT_FILE);
    const Run none = alliancectl({"test-connection", "--config", write_run_configuration(unique_name("mtls"), fhir).string()});
    CHECK(none.exit_status == 1);
    CHECK_MESSAGE(has(none, "refused the client certificate"), none.output);
    CHECK(has(none, "fhir.client_certificate_file"));

    fhir["client_certificate_file"] = test_certificate("client.pem");
    fhir["client_key_file"] = test_certificate("other-ca.key");
    const Run wrong_key =
        alliancectl({"test-connection", "--config", write_run_configuration(unique_name("mtls-key"), fhir).string()});
    CHECK(wrong_key.exit_status == 1);
    CHECK_MESSAGE(has(wrong_key, "client_key_file is not the private key of client_certificate_file"), wrong_key.output);

    fhir["client_key_file"] = test_certificate("client.key");
    const Run good = alliancectl({"test-connection", "--config", write_run_configuration(unique_name("mtls-ok"), fhir).string()});
    CHECK_MESSAGE(good.exit_status == 0, good.output);
  }

  TEST_CASE("test-connection tells a server without transactions to use fhir.transactions false") {
    const OwnServer server("no-transactions", {"--no-transactions"});
    REQUIRE(server.started());
    json fhir = fhir_settings(server.port_file());
    const Run needing = alliancectl(
        {"test-connection", "--config", write_run_configuration(unique_name("no-transactions"), fhir).string()});
    CHECK(needing.exit_status == 1);
    CHECK_MESSAGE(has(needing, "transaction: not supported\n"), needing.output);
    CHECK(has(needing, "the server does not support transaction Bundles"));
    CHECK(has(needing, "set fhir.transactions to false"));

    fhir["transactions"] = false;
    const Run one_by_one = alliancectl(
        {"test-connection", "--config", write_run_configuration(unique_name("one-by-one"), fhir).string()});
    CHECK_MESSAGE(one_by_one.exit_status == 0, one_by_one.output);
    CHECK(has(one_by_one, "transaction: not supported (not needed: fhir.transactions is false)"));
    CHECK(has(one_by_one, "result: the server offers everything the configuration needs"));
  }

  TEST_CASE("test-connection tells IT which chart profiles an EHR takes, and passes with them") {
    // The Epic emulation with the plugin's default (fhir-native) writes: refused, with
    // the profiles that fit.
    json native = emulation_settings("epic");
    native.erase("chart");
    native.erase("conditional_creates");
    native.erase("transactions");
    const Run refused =
        alliancectl({"test-connection", "--config", write_run_configuration(unique_name("epic-native"), native).string()});
    CHECK(refused.exit_status == 1);
    CHECK_MESSAGE(has(refused, "chart profiles this server takes: flowsheet, document\n"), refused.output);
    CHECK(has(refused, "this server accepts no QuestionnaireResponse create"));
    CHECK(has(refused, "choose the profiles this server takes in fhir.chart.profiles (flowsheet, document)"));
    CHECK(has(refused, "set fhir.transactions to false"));

    for (const std::string emulation : {"epic", "oracle-health"}) {
      CAPTURE(emulation);
      const Run good = alliancectl({"test-connection", "--config",
                                    write_run_configuration(unique_name(emulation), emulation_settings(emulation)).string()});
      CHECK_MESSAGE(good.exit_status == 0, good.output);
      CHECK(has(good, "DocumentReference: create supported, conditional create not supported\n"));
      CHECK(has(good, "exactly once: a search by patient, code or document type, and time before each write"));
      CHECK(has(good, "result: the server offers everything the configuration needs"));
      CHECK(has(good, "notes: found again by their date only if the EHR keeps it; where it does not (Oracle Health), "
                      "a note whose answer is lost is written twice"));
    }
  }

  TEST_CASE("test-connection prints the scopes a good SMART server granted") {
    const OwnServer server("smart", smart_server_options());
    REQUIRE(server.started());
    const Run run = alliancectl(
        {"test-connection", "--config",
         write_run_configuration(unique_name("smart"), smart_client_settings(server.port_file())).string()});
    CHECK_MESSAGE(run.exit_status == 0, run.output);
    const std::string scopes = "system/QuestionnaireResponse.c system/Observation.c system/Questionnaire.crs";
    CHECK(has(run, "SMART: scopes requested: " + scopes + "\n"));
    CHECK(has(run, "SMART: scopes granted: " + scopes + "\n"));
    CHECK_FALSE(has(run, "Bearer"));
  }

  TEST_CASE("with send_scope false the token request names no scope: a server that ignores scope grants one") {
    // Like Epic's token endpoint: `scope` ignored, the registered scopes granted.
    const OwnServer ignoring("scope-ignored", smart_server_options({"--scope-ignored"}));
    REQUIRE(ignoring.started());
    json fhir = smart_client_settings(ignoring.port_file());
    fhir["smart"]["send_scope"] = false;
    const Run granted =
        alliancectl({"test-connection", "--config", write_run_configuration(unique_name("no-scope"), fhir).string()});
    CHECK_MESSAGE(granted.exit_status == 0, granted.output);
    CHECK(has(granted, "SMART: scopes requested: none sent (fhir.smart.send_scope is false); needed: "));
    CHECK(has(granted, "SMART: scopes granted: system/QuestionnaireResponse.c system/Observation.c "
                       "system/Observation.rs system/Questionnaire.cruds\n"));

    // A server that requires a scope shows that none was sent: it refuses the request.
    const OwnServer requiring("scope-required", smart_server_options());
    REQUIRE(requiring.started());
    fhir = smart_client_settings(requiring.port_file());
    fhir["smart"]["send_scope"] = false;
    const Run refused =
        alliancectl({"test-connection", "--config", write_run_configuration(unique_name("no-scope-refused"), fhir).string()});
    CHECK(refused.exit_status == 1);
    CHECK_MESSAGE(has(refused, "scope is missing"), refused.output);
  }

  TEST_CASE("test-connection names the scopes a SMART server did not grant") {
    const OwnServer server("fewer-scopes",
                           smart_server_options({"--granted-scopes", "system/Observation.c system/Questionnaire.crs"}));
    REQUIRE(server.started());
    const Run run = alliancectl(
        {"test-connection", "--config",
         write_run_configuration(unique_name("fewer-scopes"), smart_client_settings(server.port_file())).string()});
    CHECK(run.exit_status == 1);
    CHECK_MESSAGE(has(run, "SMART: scopes granted: system/Observation.c system/Questionnaire.crs\n"), run.output);
    CHECK(has(run, "the EHR granted only \"system/Observation.c system/Questionnaire.crs\" but Alliance needs "
                   "\"system/QuestionnaireResponse.c\" as well: ask the EHR administrator to grant it to client "
                   "alliance-test-client"));
    CHECK(has(run, "result: 1 problem:"));
  }

  TEST_CASE("test-connection names the proxy when it is the proxy's name that does not resolve") {
    json fhir = fhir_settings();
    fhir["proxy"] = {{"url", "http://alliance-proxy.invalid:3128"}};
    fhir["timeout_seconds"] = 2;
    const Run run =
        alliancectl({"test-connection", "--config", write_run_configuration(unique_name("proxy"), fhir).string()});
    CHECK(run.exit_status == 1);
    CHECK_MESSAGE(has(run, "cannot resolve the proxy's host name"), run.output);
    CHECK(has(run, "fhir.proxy.url"));
  }

  TEST_CASE("test-connection says it cannot resolve a host name that does not exist") {
    json fhir = fhir_settings();
    fhir["base_url"] = "https://alliance-test.invalid/fhir";
    fhir["timeout_seconds"] = 2;  // without any DNS the lookup ends at this deadline
    const auto started = std::chrono::steady_clock::now();
    const Run run =
        alliancectl({"test-connection", "--config", write_run_configuration(unique_name("invalid"), fhir).string()});
    CHECK(run.exit_status == 1);
    CHECK_MESSAGE(has(run, "cannot resolve the server's host name"), run.output);
    CHECK(has(run, "fhir.base_url"));
    CHECK_FALSE(has(run, "(check the host name in base_url"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  }

  TEST_CASE("show prints the server's stored answer with its control characters escaped, not obeyed") {
    const ScenarioRun scenario = run_scenario("normal_session.json");
    REQUIRE_MESSAGE(scenario.process.exit_status == 0, scenario.process.standard_error);
    REQUIRE_FALSE(scenario.rows.empty());
    const std::string id = scenario.rows[0]["administration_id"];
    {
      // Stored as delivery stores a refusal: through the store, sealed with its key.
      const alliance::OutboxKeys keys = alliance::OutboxKeys::load(key_file_of(scenario.configuration));
      const std::unique_ptr<alliance::Store> store = alliance::Store::open(scenario.database, keys);
      alliance::DeliveryRecord refused;
      refused.administration_id = id;
      refused.state = alliance::DeliveryRecord::State::failed;
      refused.at = "2030-01-01T00:00:00.000Z";
      refused.error = "HTTP 422: " + kTerminalAttack + " \xff";
      refused.http_status = 422;
      refused.log_reason = "status=422";
      store->record({refused});
    }
    const Run shown = alliancectl({"show", id, "--config", scenario.configuration.string()});
    CHECK_MESSAGE(shown.exit_status == 0, shown.output);
    CHECK_MESSAGE(terminal_controls_in(shown.output).empty(), terminal_controls_in(shown.output));
    CHECK_MESSAGE(has(shown, "HTTP 422: \\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred\\nresult: nothing needs attention"
                             "\\u009b1m\\x7f end \\xff"),
                  shown.output);
  }

  TEST_CASE("test-connection prints a server's fhirVersion with its control characters escaped, not obeyed") {
    const OwnServer server("terminal", {});
    REQUIRE(server.started());
    const json statement = {
        {"resourceType", "CapabilityStatement"},
        {"fhirVersion", kTerminalAttack},
        {"rest", json::array({{{"mode", "server"}}})}};
    REQUIRE(server_request(server.port_file(), "POST", "/_test/faults",
                           {{"faults", json::array({{{"kind", "status"}, {"status", 200}, {"body", statement},
                                                     {"match", {{"path_prefix", "/fhir/R4/metadata"}}}}})}})
                .status == 200);
    const Run run = alliancectl(
        {"test-connection", "--config", write_run_configuration(unique_name("terminal"), fhir_settings(server.port_file())).string()});
    CHECK(run.exit_status == 1);  // not 4.0.x
    CHECK_MESSAGE(terminal_controls_in(run.output).empty(), terminal_controls_in(run.output));
    CHECK_MESSAGE(has(run, "FHIR version: \\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred\\nresult: nothing needs attention"),
                  run.output);
    CHECK(has(run, "the server speaks FHIR \\x1b]0;owned"));
  }
}
