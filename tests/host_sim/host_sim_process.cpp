#include "host_sim_process.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

#include "support/files.hpp"

namespace host_sim_test {
namespace {

using alliance::testing::read_file;

}  // namespace

std::filesystem::path output_path(std::string_view name) {
  // ctest may run test cases in parallel processes; the pid keeps their files apart.
  // Atomic: a test may run host-sim from two threads at once (faults_test's store
  // holder), and two threads with one number would write one file (ThreadSanitizer
  // found it).
  static std::atomic<int> next_number{0};
  std::filesystem::path directory = TEST_OUTPUT_DIRECTORY;
  std::filesystem::create_directories(directory);
  return directory / (std::to_string(getpid()) + "-" + std::to_string(next_number++) + "-" +
                      std::string(name));
}

std::filesystem::path write_output_file(std::string_view name, std::string_view contents) {
  std::filesystem::path path = output_path(name);
  std::ofstream out(path, std::ios::binary);
  out << contents;
  return path;
}

std::filesystem::path fixture_path(std::string_view name) {
  return std::filesystem::path(FIXTURE_DIRECTORY) / name;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(read_file(path));
}

HostSimRun run_host_sim(const std::vector<std::string>& arguments) {
  return run_host_sim_executable(HOST_SIM_EXECUTABLE, arguments);
}

HostSimRun run_host_sim_executable(const std::string& executable, const std::vector<std::string>& arguments) {
  std::filesystem::path stdout_path = output_path("stdout.txt");
  std::filesystem::path stderr_path = output_path("stderr.txt");

  std::vector<std::string> words{executable};
  words.insert(words.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t child = 0;
  int spawn_error = posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) throw std::runtime_error("cannot start " + executable);

  int wait_status = 0;
  while (waitpid(child, &wait_status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("cannot wait for host-sim");
  }
  HostSimRun run;
  if (WIFEXITED(wait_status)) run.exit_status = WEXITSTATUS(wait_status);
  run.standard_output = read_file(stdout_path);
  run.standard_error = read_file(stderr_path);
  return run;
}

}  // namespace host_sim_test
