// Into charts that are not FHIR-native: a whole session through host-sim and the
// plugin, configured as a clinic on that EHR would (tests/fhir-server/emulations/
// <name>-chart.json), against the test server's emulation of that EHR's documented
// write rules (docs/emulations.md). The results must arrive as that EHR holds them,
// be found by the searches it answers, and nothing may have been refused.
#include <doctest/doctest.h>

#include "auth/base64url.hpp"
#include "fhir_server.hpp"
#include "scenario_run.hpp"

using namespace alliance::integration;
using nlohmann::json;

namespace {

// An Attachment's data (standard base64) as bytes.
std::string attachment_bytes(const json& attachment) {
  std::string text = attachment.at("data").get<std::string>();
  for (char& character : text) {
    if (character == '+') character = '-';
    if (character == '/') character = '_';
  }
  while (!text.empty() && text.back() == '=') text.pop_back();
  const auto bytes = alliance::fhir::auth::base64url_decode(text);
  REQUIRE(bytes.has_value());
  return *bytes;
}

struct Delivered {
  std::string patient;
  json settings;
  std::string authorization;
};

// The normal session (ORS 29.1, SRS 37.0) delivered to the emulation.
Delivered deliver_normal_session(const std::string& emulation) {
  Delivered delivered;
  delivered.authorization = emulation_authorization(emulation);
  const PersonalizedScenario scenario = personalize_scenario("normal_session.json", false);
  seed_on(emulation_port_file(emulation), scenario, delivered.authorization);
  delivered.patient = scenario.patients.at(0);
  delivered.settings = emulation_settings(emulation);
  const ScenarioRun run = run_scenario(scenario.path, {{}, delivered.settings});
  REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));
  REQUIRE(run.rows.size() == 2);
  for (const json& row : run.rows) {
    CAPTURE(row.dump());
    CHECK(row["delivery_state"] == "delivered");
    CHECK(row["delivery_attempts"] == 1);
  }
  // Nothing refused, nothing retried: every write was one the EHR takes.
  const std::string log = run.all_log_text();
  CHECK_MESSAGE(log.find("event=delivery_failed") == std::string::npos, log);
  CHECK_MESSAGE(log.find("event=delivery_retry") == std::string::npos, log);
  return delivered;
}

// Each flowsheet row of the session is there once, found as the EHR finds a reading:
// by patient and row code.
void check_rows(const std::string& emulation, const Delivered& delivered) {
  const json rows = delivered.settings["chart"]["flowsheet"]["rows"];
  const std::pair<const char*, double> totals[] = {{"ORS", 29.1}, {"SRS", 37.0}};
  for (const auto& [code, total] : totals) {
    const std::string measure = code;
    CAPTURE(measure);
    const json& total_row = rows[measure]["total"];
    const auto found = fhir_search("Observation",
                                   "patient=" + delivered.patient + "&code=" + total_row["system"].get<std::string>() +
                                       "|" + total_row["code"].get<std::string>(),
                                   emulation_port_file(emulation), delivered.authorization);
    REQUIRE(found.size() == 1);
    CHECK(found[0]["valueQuantity"]["value"] == total);
    CHECK(found[0]["category"][0]["coding"][0]["code"] == "vital-signs");
    CHECK(found[0]["encounter"]["reference"].get<std::string>().rfind("Encounter/enc-normal-", 0) == 0);
    double items = 0;
    for (const json& item_row : rows[measure]["items"]) {
      const auto item = fhir_search("Observation",
                                    "patient=" + delivered.patient + "&code=" + item_row["system"].get<std::string>() +
                                        "|" + item_row["code"].get<std::string>(),
                                    emulation_port_file(emulation), delivered.authorization);
      REQUIRE(item.size() == 1);
      items += item[0]["valueQuantity"]["value"].get<double>();
    }
    CHECK(items == doctest::Approx(total));  // the items add up to the total
  }
}

// One note per administration, as the EHR holds it, found by patient and type.
std::vector<json> notes_of(const std::string& emulation, const Delivered& delivered) {
  const json type = delivered.settings["chart"]["document"]["type"];
  const auto notes = fhir_search("DocumentReference",
                                 "patient=" + delivered.patient + "&type=" + type["system"].get<std::string>() + "|" +
                                     type["code"].get<std::string>(),
                                 emulation_port_file(emulation), delivered.authorization);
  CHECK(notes.size() == 2);
  return notes;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("Epic: the session's flowsheet rows and a text note to sign arrive, found by searching") {
    const Delivered delivered = deliver_normal_session("epic");
    check_rows("epic", delivered);
    std::string both;
    for (const json& note : notes_of("epic", delivered)) {
      CHECK(note["docStatus"] == "preliminary");
      REQUIRE(note["content"].size() == 1);
      const json& attachment = note["content"][0]["attachment"];
      CHECK(attachment["contentType"] == "text/plain; charset=utf-8");
      both += attachment_bytes(attachment);
    }
    CHECK_MESSAGE(both.find("29.1") != std::string::npos, both);
    CHECK_MESSAGE(both.find("37.0") != std::string::npos, both);
    // No QuestionnaireResponse: Epic files none for a questionnaire it did not assign.
    CHECK(fhir_search("QuestionnaireResponse", "patient=" + delivered.patient, emulation_port_file("epic"),
                      delivered.authorization)
              .empty());
  }

  TEST_CASE("Oracle Health: the session's rows and a final PDF note arrive, with a client id and secret") {
    const Delivered delivered = deliver_normal_session("oracle-health");
    check_rows("oracle-health", delivered);
    for (const json& note : notes_of("oracle-health", delivered)) {
      CHECK(note["docStatus"] == "final");
      REQUIRE(note["content"].size() == 1);
      const json& attachment = note["content"][0]["attachment"];
      CHECK(attachment["contentType"] == "application/pdf");
      CHECK(attachment_bytes(attachment).rfind("%PDF-", 0) == 0);
    }
    // The rows name the session's clinician: Oracle Health takes only a Practitioner.
    const json total_row = delivered.settings["chart"]["flowsheet"]["rows"]["ORS"]["total"];
    const auto found = fhir_search("Observation",
                                   "patient=" + delivered.patient + "&code=" + total_row["system"].get<std::string>() +
                                       "|" + total_row["code"].get<std::string>(),
                                   emulation_port_file("oracle-health"), delivered.authorization);
    REQUIRE(found.size() == 1);
    CHECK(found[0]["performer"][0]["reference"] == "Practitioner/pr-kim");
  }
}
