// What the fault tests share: a test FHIR server of the test's own that is down until
// the test starts it, settings that retry at once, running the host again until the
// store has nothing pending, a backlog of sessions, and killing the host (SIGKILL) at
// random moments while it delivers.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fhir_server.hpp"
#include "scenario_run.hpp"

namespace alliance::integration {

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

// The "fhir" settings for `base_url` with one-second timeouts and retries.
nlohmann::json quick_retry_settings(const std::string& base_url);

// The host once more on the run's store, with a session that asks nothing.
host_sim_test::HostSimRun run_idle(const ScenarioRun& run);

// Starts the host again (an idle session) until the store has nothing left pending;
// the store's rows then.
std::vector<nlohmann::json> deliver_everything(const ScenarioRun& run, int most_runs = 10);

// A backlog of twenty sessions (forty administrations) of normal_session.json, its
// references made unique to this run, written under `name`.
PersonalizedScenario backlog_scenario(const std::string& name);

// Starts the host on the run's store `kills` times, killing it (SIGKILL) after a
// random moment of 5 to 250 ms each time.
void kill_while_delivering(const ScenarioRun& run, int kills);

}  // namespace alliance::integration
