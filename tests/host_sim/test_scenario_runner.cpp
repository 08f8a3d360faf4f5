// The scenario runner, driven end to end with the echo fixture plugin: what it sends,
// what it waits for, what it fails, and what it writes to the record.
#include "host_sim_process.hpp"

#include <doctest/doctest.h>
#include "support/text.hpp"

using namespace host_sim_test;
using nlohmann::json;
using alliance::testing::contains;

namespace {

struct RecordedRun {
  HostSimRun run;
  json record;
};

RecordedRun run_echo(std::string_view scenario, std::vector<std::string> extra_arguments = {}) {
  std::filesystem::path record_path = output_path("record.json");
  std::vector<std::string> arguments{"--plugin", FIXTURE_PLUGIN_ECHO,
                                     "--config", fixture_path("echo_config.json").string(),
                                     "--scenario", fixture_path(scenario).string(),
                                     "--record", record_path.string()};
  arguments.insert(arguments.end(), extra_arguments.begin(), extra_arguments.end());
  RecordedRun result;
  result.run = run_host_sim(arguments);
  if (std::filesystem::exists(record_path)) result.record = read_json(record_path);
  return result;
}

std::vector<std::string> message_types(const json& panel) {
  std::vector<std::string> types;
  for (const json& message : panel.at("to_panel")) types.push_back(message.at("type"));
  return types;
}


}  // namespace

TEST_SUITE("host_sim") {
  TEST_CASE("the echo scenario passes and its record holds panels messages and closings") {
    std::filesystem::path panels_directory = output_path("panels");
    RecordedRun result = run_echo("scenario_echo.json", {"--save-panels", panels_directory.string()});
    INFO(result.run.standard_output);
    INFO(result.run.standard_error);
    REQUIRE(result.run.exit_status == 0);
    const json& record = result.record;

    CHECK(record.at("scenario") == "Echo plugin through every step");
    CHECK(record.at("abi") == json{{"host", "1.1"}, {"plugin", "1.1"}});
    CHECK(record.at("failures").empty());
    CHECK(record.at("shutdown_status") == 0);
    // The echo plugin queues one task during shutdown; the host must cancel it.
    CHECK(record.at("cancelled_tasks") == 1);

    REQUIRE(record.at("logs").size() == 2);
    CHECK(record.at("logs").at(0) ==
          json{{"level", "info"}, {"message", "echo: session started"}, {"on_host_thread", true}});

    const json& panels = record.at("panels");
    REQUIRE(panels.size() == 4);
    const json& alex = panels.at(0);
    CHECK(alex.at("panel_id") == 1);
    CHECK(alex.at("session_id") == "session-1");
    CHECK(alex.at("participant_id") == "client-1");
    CHECK(alex.at("title") == "Echo");
    CHECK(alex.at("html_bytes").get<int>() > 0);
    CHECK(alex.at("opened_on_host_thread") == true);
    CHECK(alex.at("from_panel") == json{R"({"type":"submit","answers":[1,2]})",
                                        R"({"type":"defer"})", "not json {",
                                        R"({"type":"late"})"});
    CHECK(message_types(alex) == std::vector<std::string>{"echo", "deferred", "echo"});
    CHECK(alex.at("closed_by") == "host");
    CHECK(alex.at("close_reason") == "submitted");
    CHECK(alex.at("closed_at_ms").is_number());

    const json& clinician = panels.at(1);
    CHECK(clinician.at("participant_id") == "clinician-1");
    CHECK(clinician.at("closed_by") == "plugin");
    CHECK(clinician.at("close_reason").is_null());

    const json& joiner = panels.at(2);
    CHECK(joiner.at("participant_id") == "client-2");
    CHECK(joiner.at("closed_by") == "host");
    CHECK(joiner.at("close_reason") == "participant_left");

    const json& second_session = panels.at(3);
    CHECK(second_session.at("session_id") == "session-2");
    CHECK(second_session.at("closed_at_ms").is_null());
    CHECK(message_types(second_session) == std::vector<std::string>{"echo"});

    // Every hook call is listed with its status and duration, shutdown last.
    const json& calls = record.at("hook_calls");
    CHECK(calls.front().at("hook") == "thp_plugin_entry");
    CHECK(calls.back().at("hook") == "shutdown");
    int panel_closed_calls = 0;
    long long timed_micros = 0;
    for (const json& call : calls) {
      // host-sim times each call, and the echo plugin's hooks return in microseconds,
      // so a second means the timing (or the hook) is wrong.
      const long long micros = call.at("micros").get<long long>();
      CHECK(micros < 1'000'000);
      timed_micros += micros;
      if (call.at("hook") == "panel_closed") ++panel_closed_calls;
    }
    CHECK(timed_micros > 0);  // something was timed: not every figure left at zero
    CHECK(panel_closed_calls == 2);

    const std::string& transcript = result.run.standard_output;
    CHECK(contains(transcript, "== Scenario: Echo plugin through every step"));
    CHECK(contains(transcript, "-- Session session-1 (couple, video): Alex Rivera (client), "
                               "Dr. Kim (clinician), Sam Rivera (client, joins later)"));
    CHECK(contains(transcript, "plugin opened panel 1 for Alex Rivera: \"Echo\""));
    CHECK(contains(transcript, "host: Alex Rivera closed panel 1 (submitted)"));
    CHECK(contains(transcript, "host: closed panel 3 of Sam Rivera (participant_left)"));
    // A posted "summary" gets its own indented line under the message.
    CHECK(contains(transcript, "\n             Echoed one message.\n"));
    CHECK(contains(transcript, "== 0 failed steps; plugin shut down in"));

    for (int panel_id = 1; panel_id <= 4; ++panel_id) {
      CHECK(std::filesystem::exists(panels_directory / ("panel-" + std::to_string(panel_id) + ".html")));
    }
  }

  TEST_CASE("an unmet expectation fails the run but the scenario plays to its end") {
    RecordedRun result = run_echo("scenario_echo_fails.json", {"--step-timeout-ms", "200"});
    INFO(result.run.standard_output);
    CHECK(result.run.exit_status == 1);
    const json& failures = result.record.at("failures");
    REQUIRE(failures.size() == 2);
    CHECK(contains(failures.at(0), "sessions[0].steps[1] (expect): no panel titled like \"Echo\""));
    CHECK(contains(failures.at(0), "message(s) of type \"never\" within 200 ms"));
    CHECK(contains(failures.at(1), "sessions[0].steps[2] (expect_no_panel): the plugin opened panel 1"));
    // The steps after the failures still ran, and the plugin was shut down.
    CHECK(result.record.at("panels").at(0).at("from_panel").size() == 1);
    CHECK(result.record.at("shutdown_status") == 0);
    CHECK(contains(result.run.standard_output, "FAILED sessions[0].steps[1] (expect)"));
    CHECK(contains(result.run.standard_output, "== 2 failed steps;"));
  }

  TEST_CASE("panel calls from a plugin thread are accepted by default") {
    RecordedRun result = run_echo("scenario_echo_thread.json");
    INFO(result.run.standard_output);
    CHECK(result.run.exit_status == 0);
    CHECK(message_types(result.record.at("panels").at(0)) == std::vector<std::string>{"threaded"});
  }

  TEST_CASE("panel calls from a plugin thread fail when the host allows only its own thread") {
    RecordedRun result = run_echo("scenario_echo_thread.json",
                                  {"--panel-calls", "host-thread", "--step-timeout-ms", "200"});
    INFO(result.run.standard_output);
    CHECK(result.run.exit_status == 1);
    const json& failures = result.record.at("failures");
    REQUIRE(failures.size() == 2);
    CHECK(failures.at(0) == "plugin called panel_post from a non-host thread");
    CHECK(contains(failures.at(1), "sessions[0].steps[2] (expect)"));
    CHECK(contains(result.run.standard_output, "== 1 failed steps, 1 plugin errors;"));
  }
}
