#include "fault_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

extern char** environ;

namespace alliance::integration {

using nlohmann::json;

json quick_retry_settings(const std::string& base_url) {
  return {{"base_url", base_url}, {"ca_file", test_certificate("ca.pem")}, {"timeout_seconds", 1},
          {"retry_initial_seconds", 1}, {"retry_maximum_seconds", 1}};
}

host_sim_test::HostSimRun run_idle(const ScenarioRun& run) {
  return host_sim_test::run_host_sim({"--plugin", ALLIANCE_PLUGIN_PATH, "--config", run.configuration.string(),
                                      "--scenario", std::string(ALLIANCE_SCENARIO_DIR) + "/idle.json"});
}

// Starts the host again (an idle session) until the store has nothing left pending.
std::vector<json> deliver_everything(const ScenarioRun& run, int most_runs) {
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

}  // namespace alliance::integration
