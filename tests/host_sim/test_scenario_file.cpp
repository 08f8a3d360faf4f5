// Scenario files are validated before anything runs, and every problem is reported
// with its JSON path.
#include "host_sim_process.hpp"
#include "scenario.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace host_sim_test;

namespace {

bool mentions(const std::vector<std::string>& errors, std::string_view text) {
  return std::any_of(errors.begin(), errors.end(), [&](const std::string& error) {
    return error.find(text) != std::string::npos;
  });
}

std::string session_with_steps(std::string_view steps) {
  return R"({"name": "t", "sessions": [{"session_id": "s", "appointment_kind": "individual",
    "participants": [{"participant_id": "client-1", "role": "client"}],
    "steps": [)" + std::string(steps) + "]}]}";
}

}  // namespace

TEST_SUITE("host_sim") {
  TEST_CASE("a step without its participant is a scenario error naming its JSON path") {
    std::filesystem::path scenario = write_output_file(
        "missing-participant.json",
        session_with_steps(R"({"action": "start"}, {"action": "send", "message": {}})"));
    HostSimRun run = run_host_sim({"--plugin", FIXTURE_PLUGIN_ECHO, "--config",
                                   fixture_path("echo_config.json").string(), "--scenario",
                                   scenario.string()});
    CHECK(run.exit_status == 2);
    CHECK(run.standard_error.find("sessions[0].steps[1].participant: required") !=
          std::string::npos);
    // Nothing ran: the transcript never started.
    CHECK(run.standard_output.empty());
  }

  TEST_CASE("a scenario file that is not JSON is a scenario error") {
    std::filesystem::path scenario = write_output_file("not-json.json", "{\"sessions\": [");
    HostSimRun run = run_host_sim({"--plugin", FIXTURE_PLUGIN_ECHO, "--config",
                                   fixture_path("echo_config.json").string(), "--scenario",
                                   scenario.string()});
    CHECK(run.exit_status == 2);
    CHECK(run.standard_error.find("not valid JSON") != std::string::npos);
  }

  TEST_CASE("a command line without a scenario is a usage error") {
    HostSimRun run = run_host_sim({"--plugin", FIXTURE_PLUGIN_ECHO});
    CHECK(run.exit_status == 2);
    CHECK(run.standard_error.find("missing --config --scenario") != std::string::npos);
    CHECK(run.standard_error.find("usage: host-sim") != std::string::npos);
  }

  TEST_CASE("every problem of a scenario is reported at once") {
    host_sim::ScenarioParseResult result = host_sim::parse_scenario(
        session_with_steps(R"({"action": "dance"},
                              {"action": "join", "participant": "nobody"},
                              {"action": "wait", "ms": -5},
                              {"action": "expect", "participant": "client-1"},
                              {"action": "close", "participant": "client-1", "reason": "bored"},
                              {"action": "wait", "ms": 1, "participant": "client-1"},
                              {"action": "wait", "ms": 1, "expect_status": "ok"},
                              "start")"),
        "fallback");
    CHECK_FALSE(result.scenario.has_value());
    const auto& errors = result.errors;
    CHECK(mentions(errors, "sessions[0].steps[0].action: unknown action \"dance\""));
    CHECK(mentions(errors, "sessions[0].steps[1].participant: \"nobody\" is not one of"));
    CHECK(mentions(errors, "sessions[0].steps[2].ms: must be an integer from 0"));
    CHECK(mentions(errors, "sessions[0].steps[3].message_type: required"));
    CHECK(mentions(errors, "sessions[0].steps[4].reason: must be one of submitted"));
    CHECK(mentions(errors, "sessions[0].steps[5].participant: not a field of a \"wait\" step"));
    CHECK(mentions(errors, "sessions[0].steps[6].expect_status: only steps that call a plugin hook"));
    CHECK(mentions(errors, "sessions[0].steps[7]: must be an object"));
  }

  TEST_CASE("session and participant fields are checked") {
    host_sim::ScenarioParseResult result = host_sim::parse_scenario(
        R"({"sessions": [{"session_id": "", "appointment_kind": "solo", "medium": "fax",
             "participants": [{"participant_id": "a", "role": "client", "age_years": "old"},
                              {"participant_id": "a", "role": "boss"}],
             "steps": [], "extra": 1}]})",
        "fallback");
    const auto& errors = result.errors;
    CHECK(mentions(errors, "sessions[0].session_id: must not be empty"));
    CHECK(mentions(errors, "sessions[0].appointment_kind: must be one of individual"));
    CHECK(mentions(errors, "sessions[0].medium: must be one of video"));
    CHECK(mentions(errors, "sessions[0].participants[0].age_years: must be an integer"));
    CHECK(mentions(errors, "sessions[0].participants[1].participant_id: \"a\" is already used"));
    CHECK(mentions(errors, "sessions[0].participants[1].role: must be one of client"));
    CHECK(mentions(errors, "sessions[0].extra: unknown field"));
  }

  TEST_CASE("a valid scenario gets its defaults") {
    host_sim::ScenarioParseResult result = host_sim::parse_scenario(
        session_with_steps(R"({"action": "send", "participant": "client-1", "message": "raw {"},
                              {"action": "send", "participant": "client-1", "message": {"b": 1, "a": 2}},
                              {"action": "expect_no_panel", "participant": "client-1"})"),
        "fallback");
    REQUIRE(result.scenario.has_value());
    const host_sim::ScenarioSession& session = result.scenario->sessions.at(0);
    CHECK(session.medium == THP_MEDIUM_VIDEO);
    CHECK(session.participants.at(0).age_years == -1);
    CHECK(session.participants.at(0).present_at_start);
    CHECK(session.steps.at(0).message_text == "raw {");
    // Objects are sent compactly and in the order the author wrote them.
    CHECK(session.steps.at(1).message_text == R"({"b":1,"a":2})");
    CHECK(session.steps.at(2).duration_ms == 300);
  }
}
