// host-sim refuses, with a message that says why, every plugin it must not run.
#include "host_sim_process.hpp"

#include <doctest/doctest.h>

using namespace host_sim_test;

namespace {

HostSimRun run_with_plugin(const std::string& plugin) {
  return run_host_sim({"--plugin", plugin, "--config", fixture_path("echo_config.json").string(),
                       "--scenario", fixture_path("scenario_echo.json").string()});
}

}  // namespace

TEST_SUITE("host_sim") {
  TEST_CASE("a plugin speaking another ABI major is refused before any hook is called") {
    HostSimRun run = run_with_plugin(FIXTURE_PLUGIN_WRONG_MAJOR);
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("speaks plugin ABI 2.0 but this host speaks 1.1") !=
          std::string::npos);
    CHECK(run.standard_error.find("rebuild the plugin against this SDK") != std::string::npos);
    CHECK(run.standard_error.find("hook called") == std::string::npos);
    CHECK(run.standard_output.find("hook called") == std::string::npos);
  }

  TEST_CASE("a plugin that refuses to start has its reason shown") {
    HostSimRun run = run_with_plugin(FIXTURE_PLUGIN_REFUSES);
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("refused to start (THP_ERROR_INCOMPATIBLE_ABI): needs host ABI 9.0") !=
          std::string::npos);
  }

  TEST_CASE("a library without the entry symbol is refused") {
    HostSimRun run = run_with_plugin(FIXTURE_PLUGIN_NO_ENTRY);
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("does not export thp_plugin_entry") != std::string::npos);
  }

  TEST_CASE("a missing plugin file is refused") {
    HostSimRun run = run_with_plugin(output_path("no-such-plugin.so").string());
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("no-such-plugin.so does not exist") != std::string::npos);
  }

  TEST_CASE("a file that is not a library is refused") {
    HostSimRun run = run_with_plugin(fixture_path("echo_config.json").string());
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("is not a loadable library") != std::string::npos);
  }
}
