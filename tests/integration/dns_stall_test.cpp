// The shutdown hook's bound holds while a name lookup hangs (issue 12): getaddrinfo
// cannot be interrupted, and Asio's resolver joined its lookup thread when the worker's
// io_context went, so shutdown(1000) took as long as the lookup (14 s of 20).
// host-sim-stalled-dns (stalled_getaddrinfo.cpp) makes "dns-stall.test" hang for 20 s.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "fhir_server.hpp"
#include "scenario_run.hpp"

using namespace alliance::integration;
using nlohmann::json;

TEST_SUITE("integration") {
  TEST_CASE("shutdown returns within its bound while a DNS lookup hangs, and the result stays pending") {
    // A result waiting in the store: the server is down during the session.
    const std::string port = std::to_string(free_port());
    const json settings = {{"base_url", "https://localhost:" + port + "/fhir/R4"},
                           {"ca_file", test_certificate("ca.pem")},
                           {"timeout_seconds", 1},
                           {"retry_initial_seconds", 1},
                           {"retry_maximum_seconds", 1}};
    const ScenarioRun run = run_scenario("client_leaves_early.json", {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, run.process.standard_output);
    REQUIRE(run.rows.size() == 1);
    REQUIRE(run.rows[0]["delivery_state"] == "pending");

    // The next start pushes it to a server whose name does not resolve: the lookup hangs.
    json configuration = host_sim_test::read_json(run.configuration);
    configuration["fhir"]["base_url"] = "https://dns-stall.test:" + port + "/fhir/R4";
    std::ofstream(run.configuration) << configuration.dump(2);
    const std::filesystem::path record = host_sim_test::output_path("dns-stall-record.json");
    const auto started = std::chrono::steady_clock::now();
    const host_sim_test::HostSimRun idle = host_sim_test::run_host_sim_executable(
        ALLIANCE_HOST_SIM_STALLED_DNS_PATH,
        {"--plugin", ALLIANCE_PLUGIN_PATH, "--config", run.configuration.string(), "--scenario",
         std::string(ALLIANCE_SCENARIO_DIR) + "/idle.json", "--record", record.string(), "--shutdown-timeout-ms", "1000"});
    const auto whole_run = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    REQUIRE_MESSAGE(idle.exit_status == 0, idle.standard_output);
    const json recorded = host_sim_test::read_json(record);
    long long shutdown_micros = -1;
    for (const json& call : recorded["hook_calls"]) {
      if (call["hook"] == "shutdown") shutdown_micros = call["micros"].get<long long>();
    }
    MESSAGE("shutdown(1000) took " << shutdown_micros / 1000 << " ms; the whole run " << whole_run.count() << " ms");
    std::string log;
    for (const json& line : recorded["logs"]) log += line.value("message", "") + "\n";
    CHECK_MESSAGE(log.find("event=delivery_retry") != std::string::npos, log);  // the lookup was tried, and timed out
    CHECK_MESSAGE(shutdown_micros != -1, "the record has no shutdown call");
    CHECK(shutdown_micros < 1'500'000);      // the bound, with room for a slow machine
    CHECK(whole_run < std::chrono::seconds(8));  // 1.5 s of scenario; the lookup alone takes 20
    const std::vector<json> rows = read_administrations(run.database, run.key_file);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["delivery_state"] == "pending");  // kept for the next start
  }
}
