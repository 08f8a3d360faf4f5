// "Saved" means saved: the host process is killed (SIGKILL, no shutdown, no
// destructors) the moment its transcript shows the plugin telling the client
// "saved", and the answer is in the database afterwards.
#include <doctest/doctest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "scenario_run.hpp"

extern char** environ;

using alliance::integration::read_administrations;
using alliance::integration::write_run_configuration;

TEST_SUITE("integration") {
  TEST_CASE("an answer the client was told is saved survives the host being killed at once") {
    const std::filesystem::path configuration = write_run_configuration("killed-" + std::to_string(getpid()));
    int pipe_ends[2];
    REQUIRE(pipe(pipe_ends) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
    std::vector<std::string> words{ALLIANCE_HOST_SIM_PATH, "--plugin", ALLIANCE_PLUGIN_PATH, "--config",
                                   configuration.string(), "--scenario",
                                   std::string(ALLIANCE_SCENARIO_DIR) + "/killed_after_saved.json"};
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    pid_t child = 0;
    REQUIRE(posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_ends[1]);

    // Read the transcript until the plugin's "saved" reaches the client's panel.
    FILE* transcript = fdopen(pipe_ends[0], "r");
    REQUIRE(transcript != nullptr);
    bool saw_saved = false;
    char line[4096];
    while (!saw_saved && std::fgets(line, sizeof line, transcript) != nullptr) {
      saw_saved = std::string(line).find("\"type\":\"saved\"") != std::string::npos;
    }
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    std::fclose(transcript);
    REQUIRE(saw_saved);
    CHECK(WIFSIGNALED(status));

    const auto rows = read_administrations(
        configuration.parent_path() / ("state-killed-" + std::to_string(getpid())) / "alliance.db",
        alliance::integration::key_file_of(configuration));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["total_tenths"] == 160);
    CHECK(rows[0]["delivery_state"] == "pending");
  }
}
