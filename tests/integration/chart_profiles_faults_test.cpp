// Exactly once under the chart profiles of EHRs that take no conditional creates
// (docs/chart-profiles.md), each against its emulation (docs/emulations.md) on a server
// of the test's own: down then up, writes applied whose answers are a 500 or lost, a
// search that does not see a stored reading yet, and a host killed at random during a
// backlog. Rows must be found once; notes are counted.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

#include "fault_support.hpp"

using namespace alliance::integration;
using nlohmann::json;

namespace {

// The "fhir" settings of a clinic on an emulated EHR (without credentials: a server
// of the test's own, which requires no token) for a server at `base_url`.
json emulated_chart_settings(const std::string& emulation, const std::string& base_url) {
  json settings = quick_retry_settings(base_url);
  std::ifstream file(std::string(ALLIANCE_EMULATIONS_DIR) + "/" + emulation + "-chart.json");
  settings.update(json::parse(file));
  return settings;
}

std::string emulation_options(const std::string& emulation) {
  return "--emulate " + emulation + " --flowsheet-rows '" + ALLIANCE_EMULATIONS_DIR + "/" + emulation + "-rows.json'";
}

// Under a chart profile: each administration's rows are in the chart once, found as the
// EHR finds a reading (patient, row code; one per moment of rating), and its note is
// there at least once. Returns how many notes are there more than once: where the
// EHR can find neither by identifier nor by the note's own time (docs/chart-profiles.md).
int check_each_reading_once(const std::vector<json>& rows, const json& settings, const std::string& port_file) {
  REQUIRE_FALSE(rows.empty());
  std::map<std::string, std::map<std::string, int>> administrations;  // patient -> measure -> count
  for (const json& row : rows) {
    CAPTURE(row.dump());
    CHECK(row["delivery_state"] == "delivered");
    ++administrations[row["patient_reference"].get<std::string>()][row["measure"].get<std::string>()];
  }
  const json& chart = settings["chart"];
  int extra_notes = 0;
  for (const auto& [patient, measures] : administrations) {
    int notes_expected = 0;
    for (const auto& [measure, count] : measures) {
      CAPTURE(measure);
      notes_expected += count;
      std::vector<json> codings = {chart["flowsheet"]["rows"][measure]["total"]};
      for (const json& item : chart["flowsheet"]["rows"][measure]["items"]) codings.push_back(item);
      for (const json& coding : codings) {
        const auto found = fhir_search(
            "Observation", "patient=" + patient + "&code=" + coding["system"].get<std::string>() + "|" +
                               coding["code"].get<std::string>(), port_file);
        std::set<std::string> moments;
        for (const json& reading : found) moments.insert(reading["effectiveDateTime"].get<std::string>());
        CHECK(found.size() == static_cast<size_t>(count));
        CHECK(moments.size() == static_cast<size_t>(count));
      }
    }
    const json& type = chart["document"]["type"];
    const auto notes = fhir_search("DocumentReference",
                                   "patient=" + patient + "&type=" + type["system"].get<std::string>() + "|" +
                                       type["code"].get<std::string>(),
                                   port_file);
    CHECK(notes.size() >= static_cast<size_t>(notes_expected));
    extra_notes += static_cast<int>(notes.size()) - notes_expected;
  }
  return extra_notes;
}

// Exactly once under an EHR's chart profile, where the server takes no conditional
// creates: down then up, a write applied whose answer is a 500 or lost, and a host
// killed at random moments during a backlog. Returns the notes written twice.
int exactly_once_under(const std::string& emulation) {
  const int port = free_port();
  LateServer server(port, emulation_options(emulation));
  const json settings = emulated_chart_settings(emulation, server.base_url());
  int extra_notes = 0;

  const PersonalizedScenario down = personalize_scenario("normal_session.json", false);
  const ScenarioRun while_down = run_scenario(down.path, {{}, settings});
  REQUIRE_MESSAGE(while_down.process.exit_status == 0, describe(while_down));
  for (const json& row : while_down.rows) CHECK(row["delivery_state"] == "pending");
  server.start();
  seed_on(server.port_file(), down);
  extra_notes += check_each_reading_once(deliver_everything(while_down), settings, server.port_file());

  const json only_post = {{"method", "POST"}};
  const json plans[] = {
      json::array({{{"kind", "status_after_processing"}, {"status", 500}, {"count", 3}, {"match", only_post}}}),
      json::array({{{"kind", "close_before_response"}, {"count", 3}, {"match", only_post}}}),
      // A reading stored whose answer is a 500, then a search that does not see it yet
      // (an index behind its writes): the repeated reading is refused as already there,
      // which counts once the search confirms it.
      json::array({{{"kind", "status_after_processing"},
                    {"status", 500},
                    {"count", 1},
                    {"match", {{"method", "POST"}, {"path_prefix", "/fhir/R4/Observation"}}}},
                   {{"kind", "status"},
                    {"status", 200},
                    {"body", {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", 0}}},
                    {"count", 2},
                    {"match", {{"method", "GET"}, {"path_prefix", "/fhir/R4/Observation"}}}}}),
      // A note stored whose answer is a 500: the retry must find it.
      json::array({{{"kind", "status_after_processing"},
                    {"status", 500},
                    {"count", 1},
                    {"match", {{"method", "POST"}, {"path_prefix", "/fhir/R4/DocumentReference"}}}}}),
  };
  for (const json& plan : plans) {
    CAPTURE(plan.dump());
    const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
    seed_on(server.port_file(), scenario);
    REQUIRE(server_request(server.port_file(), "POST", "/_test/faults", {{"faults", plan}}).status == 200);
    const ScenarioRun run = run_scenario(scenario.path, {{}, settings});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
    const std::vector<json> rows = deliver_everything(run);
    const FhirAnswer used = server_request(server.port_file(), "GET", "/_test/faults");
    for (const json& fault : used.body["faults"]) CHECK(fault["remaining"] == 0);  // each fault really happened
    extra_notes += check_each_reading_once(rows, settings, server.port_file());
    server_request(server.port_file(), "DELETE", "/_test/faults");
  }

  server.stop();
  const PersonalizedScenario backlog = backlog_scenario(emulation + "-backlog.json");
  json concurrent = settings;
  concurrent["concurrency"] = 2;
  const ScenarioRun run = run_scenario(backlog.path, {{}, concurrent});
  REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
  REQUIRE(run.rows.size() == 40);
  server.start();
  seed_on(server.port_file(), backlog);
  kill_while_delivering(run, 6);
  const std::vector<json> rows = deliver_everything(run);
  CHECK(rows.size() == 40);
  extra_notes += check_each_reading_once(rows, concurrent, server.port_file());
  return extra_notes;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("Epic's profile keeps every reading and note once through outages, lost answers and kills") {
    // Rows and notes are found again by patient, code or type, and time: nothing twice.
    CHECK(exactly_once_under("epic") == 0);
  }

  TEST_CASE("Oracle Health's profile keeps every reading once; a note whose answer was lost may be written twice") {
    // Oracle Health keeps no identifier and sets a document's date itself, so an earlier
    // attempt's PDF cannot be found (docs/chart-profiles.md): the count is reported.
    const int extra_notes = exactly_once_under("oracle-health");
    MESSAGE("Oracle Health: notes written twice in this run: " << extra_notes);
    // The note whose answer was a 500 is written again: the gap is real, and measured.
    // When this fails, earlier notes are found again: update docs/chart-profiles.md.
    CHECK(extra_notes >= 1);
  }

}
