#pragma once

// Runs the host-sim executable as a child process and collects what it said, so that
// tests check the real command line, exit status and output.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace host_sim_test {

struct HostSimRun {
  int exit_status = -1;  // -1 when it did not exit normally
  std::string standard_output;
  std::string standard_error;
};

HostSimRun run_host_sim(const std::vector<std::string>& arguments);
// The same with another build of host-sim (e.g. one with a stalled name lookup).
HostSimRun run_host_sim_executable(const std::string& executable, const std::vector<std::string>& arguments);

// A fresh path in the test output directory, unique to this process.
std::filesystem::path output_path(std::string_view name);
std::filesystem::path write_output_file(std::string_view name, std::string_view contents);
std::filesystem::path fixture_path(std::string_view name);
nlohmann::json read_json(const std::filesystem::path& path);

}  // namespace host_sim_test
