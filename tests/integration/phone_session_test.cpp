// A phone session from start to chart: the therapist reads the ORS and the SRS aloud
// and enters the client's answers (tests/scenarios/phone_session.json). The chart must
// say what happened: the client answered, the practitioner entered it, verbally.
#include <doctest/doctest.h>

#include "fhir_server.hpp"
#include "scenario_run.hpp"

using namespace alliance::integration;
using nlohmann::json;

namespace {

constexpr const char* kCompletionMode = "http://hl7.org/fhir/StructureDefinition/questionnaireresponse-completionMode";
constexpr const char* kParticipationMode = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode";

// The codes of a CodeableConcept or a Coding.
std::vector<std::string> codes_in(const json& value, const std::string& system) {
  std::vector<std::string> codes;
  const json coding = value.contains("coding") ? value["coding"] : json::array({value});
  for (const json& entry : coding) {
    if (entry.value("system", "") == system) codes.push_back(entry.value("code", ""));
  }
  return codes;
}

std::vector<std::string> completion_modes(const json& response) {
  for (const json& extension : response.value("extension", json::array())) {
    if (extension.value("url", "") != kCompletionMode) continue;
    if (extension.contains("valueCodeableConcept")) return codes_in(extension["valueCodeableConcept"], kParticipationMode);
    if (extension.contains("valueCoding")) return codes_in(extension["valueCoding"], kParticipationMode);
  }
  return {};
}

std::vector<std::string> references_in(const json& list) {
  std::vector<std::string> references;
  for (const json& entry : list) references.push_back(entry.value("reference", ""));
  return references;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("a phone session's ORS and SRS, read aloud, reach the chart as verbal administrations") {
    const PersonalizedScenario scenario = personalize_scenario("phone_session.json");
    const std::string patient = scenario.patients.at(0);
    // The practitioner who enters the answers is named in the chart, so the server (which
    // checks references, as a real one does) must know them.
    const FhirAnswer practitioner = fhir_request(
        "PUT", "Practitioner/pr-kim",
        {{"resourceType", "Practitioner"}, {"id", "pr-kim"}, {"name", {{{"family", "Kim"}, {"given", {"Jordan"}}}}}});
    REQUIRE_MESSAGE((practitioner.status == 200 || practitioner.status == 201), practitioner.status);
    const ScenarioRun run = run_scenario(scenario.path, {{}, fhir_settings()});
    REQUIRE_MESSAGE(run.process.exit_status == 0, describe(run));

    // Nothing opened for the client on the phone; the forms opened beside the card.
    CHECK(run.panels_of("client-alex").empty());
    const auto therapist_panels = run.panels_of("clinician-kim");
    REQUIRE(therapist_panels.size() == 3);
    CHECK(therapist_panels[0]["title"] == "Outcome Rating Scale (ORS), read aloud with Alex Rivera");
    CHECK(therapist_panels[1]["title"] == "Alliance: client feedback");
    CHECK(therapist_panels[2]["title"] == "Session Rating Scale (SRS), read aloud with Alex Rivera");
    const auto results = run.messages_to("clinician-kim", "result");
    REQUIRE(results.size() == 2);
    CHECK(results[0]["given"] == "aloud");
    CHECK(results[0]["total"] == 29.1);
    CHECK(results[1]["total"] == 37.0);

    REQUIRE(run.rows.size() == 2);
    for (const json& row : run.rows) {
      CAPTURE(row.dump());
      CHECK(row["delivery_state"] == "delivered");
    }
    const auto responses = fhir_search("QuestionnaireResponse", "subject=" + patient);
    const auto observations = fhir_search("Observation", "subject=" + patient);
    REQUIRE(responses.size() == 2);
    REQUIRE(observations.size() == 2);
    for (const json& response : responses) {
      CAPTURE(response.dump());
      CHECK(response["status"] == "completed");
      CHECK(response["subject"]["reference"] == patient);
      // R4: author "received and recorded the answers"; source "answered the questions".
      CHECK(response["author"]["reference"] == "Practitioner/pr-kim");
      CHECK(response["source"]["reference"] == patient);
      CHECK(completion_modes(response) == std::vector<std::string>{"VERBAL"});
    }
    for (const json& observation : observations) {
      CAPTURE(observation.dump());
      const json method = observation.value("method", json::object());
      CHECK(codes_in(method, kParticipationMode) == std::vector<std::string>{"VERBAL"});
      CHECK_FALSE(method.value("text", "").empty());
      const auto performers = references_in(observation.value("performer", json::array()));
      REQUIRE(performers.size() == 2);
      CHECK(performers[0] == patient);  // the client's own view
      CHECK(performers[1] == "Practitioner/pr-kim");
    }
  }
}
