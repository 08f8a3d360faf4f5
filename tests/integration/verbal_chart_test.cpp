// A verbal (phone) administration through the real test FHIR server (tests/fhir-server),
// whose validators (@medplum/core and FHIR.js) and reference checks run on every
// resource it is sent: the mapped Bundle is posted as a transaction, as delivery posts
// it, and the stored QuestionnaireResponse and Observations are read back to check who
// answered, who recorded, and how (docs/chart.md, "Verbal administration"). The
// workflow that produces such an administration is tested by the audio-session
// integration test; here the Administration is built directly.
#include <doctest/doctest.h>
#include <unistd.h>

#include <map>

#include "fhir_server.hpp"
#include "mapping/administration_bundle.hpp"
#include "mapping/one_by_one.hpp"
#include "mapping/uuid.hpp"
#include "measures/measure_library.hpp"
#include "scoring/scoring.hpp"

using namespace alliance::integration;
using alliance::Administration;
using alliance::MeasureDefinition;
using nlohmann::json;

namespace {

constexpr const char* kVerbalIdentifierSystem = "https://fhir.alliance-plugin.org/sid/administration";

const alliance::MeasureLibrary& verbal_test_measures() {
  static const alliance::MeasureLibrary library = [] {
    std::vector<std::string> problems;
    auto loaded = alliance::load_measure_library(ALLIANCE_QUESTIONNAIRE_DIR, problems,
                                                 {std::begin(alliance::kMeasureCodes), std::end(alliance::kMeasureCodes)});
    if (!loaded) throw std::runtime_error("the shipped Questionnaires do not load");
    return *loaded;
  }();
  return library;
}

// The shipped Questionnaires (with their hidden verbal scripts) on the server, as
// fhir.ensure_questionnaires puts them there: a conditional create on url and version.
// One transaction per Questionnaire, as delivery sends them (the server takes only a
// few conditional creates in one transaction).
void ensure_questionnaires_on_server() {
  for (const MeasureDefinition& measure : verbal_test_measures().measures) {
    CAPTURE(measure.source_file);
    const json entry = {{"resource", json::parse(measure.resource_json)},
                        {"request", {{"method", "POST"},
                                     {"url", "Questionnaire"},
                                     {"ifNoneExist", "url=" + measure.url + "&version=" + measure.version}}}};
    const FhirAnswer answer = fhir_request(
        "POST", "", json{{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", json::array({entry})}});
    REQUIRE_MESSAGE(answer.status == 200, answer.body.dump(2));
    // Created now or by an earlier test: there is exactly one, with its scripts.
    const auto stored = fhir_search("Questionnaire", "url=" + measure.url + "&version=" + measure.version);
    REQUIRE(stored.size() == 1);
    CHECK(stored[0]["item"][0]["linkId"].get<std::string>().find("-verbal-introduction") != std::string::npos);
  }
}

// A Patient, an Encounter and the reading Practitioner of this run (the server checks
// that every reference resolves).
struct VerbalChart {
  std::string patient;
  std::string encounter;
  std::string practitioner;
};

VerbalChart seed_verbal_chart() {
  static int runs = 0;
  const std::string suffix = std::to_string(getpid()) + "-" + std::to_string(++runs);
  VerbalChart chart{"Patient/pat-verbal-" + suffix, "Encounter/enc-verbal-" + suffix,
                    "Practitioner/pr-verbal-" + suffix};
  const json resources[] = {
      {{"resourceType", "Patient"}, {"id", "pat-verbal-" + suffix},
       {"name", json::array({{{"family", "Testperson"}, {"given", json::array({"Verbal"})}}})}},
      {{"resourceType", "Practitioner"}, {"id", "pr-verbal-" + suffix},
       {"name", json::array({{{"family", "Reader"}, {"given", json::array({"Sam"})}}})}},
      {{"resourceType", "Encounter"}, {"id", "enc-verbal-" + suffix}, {"status", "finished"},
       {"class", {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", "VR"}}},
       {"subject", {{"reference", chart.patient}}}},
  };
  for (const json& resource : resources) {
    const std::string reference = resource["resourceType"].get<std::string>() + "/" + resource["id"].get<std::string>();
    const FhirAnswer answer = fhir_request("PUT", reference, resource);
    REQUIRE_MESSAGE((answer.status == 200 || answer.status == 201), answer.body.dump(2));
  }
  return chart;
}

Administration verbal_administration(const MeasureDefinition& measure, const VerbalChart& chart,
                                     const std::vector<alliance::Tenths>& items) {
  Administration administration;
  administration.administration_id = alliance::new_uuid();
  administration.session_id = "audio-session";
  administration.client_key = chart.patient;
  administration.participant_id = "client-on-the-phone";
  administration.patient_reference = chart.patient;
  administration.practitioner_reference = chart.practitioner;
  administration.encounter_reference = chart.encounter;
  administration.questionnaire = measure.canonical();
  administration.measure_code = measure.code;
  administration.language = measure.language;
  administration.completion_mode = "VERBAL";
  administration.entered_by_reference = chart.practitioner;
  administration.authored_at = "2026-12-06T07:15:00Z";
  administration.age_years = 41;
  for (const alliance::MeasureItem& item : measure.items) administration.item_link_ids.push_back(item.link_id);
  administration.scored = alliance::score_measure(measure, items, 41, {}, alliance::ScoringRules{});
  return administration;
}

const json kVerbalParticipation = {
    {"system", "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"}, {"code", "VERBAL"}, {"display", "verbal"}};

// The one resource the server holds with this identifier.
json stored_by_identifier(const std::string& type, const std::string& identifier) {
  const auto found = fhir_search(type, std::string("identifier=") + kVerbalIdentifierSystem + "|" + identifier);
  REQUIRE_MESSAGE(found.size() == 1, type << " " << identifier << ": " << found.size() << " found");
  return found[0];
}

}  // namespace

TEST_SUITE("verbal_chart") {
  TEST_CASE("the server takes a verbal ORS and keeps its author source completion mode method and performers") {
    ensure_questionnaires_on_server();
    const VerbalChart chart = seed_verbal_chart();
    for (const char* language : {"en", "es"}) {
      CAPTURE(language);
      const MeasureDefinition* measure = verbal_test_measures().find("ORS", language);
      REQUIRE(measure != nullptr);
      const Administration administration = verbal_administration(*measure, chart, {52, 61, 47, 55});
      alliance::fhir::MappingSettings settings;
      settings.item_observations = true;
      const auto mapped = alliance::fhir::administration_bundle(administration, *measure, settings);
      REQUIRE(mapped.error.empty());
      const FhirAnswer answer = fhir_request("POST", "", mapped.bundle);
      // Validated and stored: anything the validators refuse is a 400 with their reasons.
      REQUIRE_MESSAGE(answer.status == 200, answer.body.dump(2));

      const json response = stored_by_identifier("QuestionnaireResponse", administration.administration_id);
      CHECK(response["author"]["reference"] == chart.practitioner);
      CHECK(response["source"]["reference"] == chart.patient);
      REQUIRE(response["extension"].size() == 1);
      CHECK(response["extension"][0]["url"] ==
            "http://hl7.org/fhir/StructureDefinition/questionnaireresponse-completionMode");
      CHECK(response["extension"][0]["valueCodeableConcept"]["coding"] == json::array({kVerbalParticipation}));
      CHECK(response["questionnaire"] == measure->canonical());

      const std::vector<std::string> identifiers = {
          administration.administration_id + "-total", administration.administration_id + "-item-1",
          administration.administration_id + "-item-4"};
      for (const std::string& identifier : identifiers) {
        CAPTURE(identifier);
        const json observation = stored_by_identifier("Observation", identifier);
        CHECK(observation["method"]["coding"] == json::array({kVerbalParticipation}));
        CHECK(observation["method"]["text"] ==
              "Verbal administration: read aloud by the practitioner, who entered the client's answers");
        CHECK(observation["performer"] ==
              json::array({{{"reference", chart.patient}}, {{"reference", chart.practitioner}}}));
        CHECK(observation["derivedFrom"][0]["reference"] == "QuestionnaireResponse/" + response["id"].get<std::string>());
      }
    }
  }

  TEST_CASE("a verbal SRS created one by one keeps its author source and performers") {
    // fhir.transactions false: delivery creates each entry in turn, its urn:uuid
    // references replaced by the ids the server gave (fhir/mapping/one_by_one.hpp).
    ensure_questionnaires_on_server();
    const VerbalChart chart = seed_verbal_chart();
    const MeasureDefinition& measure = verbal_test_measures().session_rating();
    const Administration administration = verbal_administration(measure, chart, {92, 90, 95, 96});
    alliance::fhir::MappingSettings settings;
    settings.item_observations = true;
    const auto mapped = alliance::fhir::administration_bundle(administration, measure, settings);
    REQUIRE(mapped.error.empty());
    std::map<std::string, std::string> server_references;
    for (const json& entry : mapped.bundle["entry"]) {
      json resource = entry["resource"];
      alliance::fhir::resolve_references(resource, server_references);
      const std::string type = entry["request"]["url"];
      const FhirAnswer answer = fhir_request("POST", type, resource);
      REQUIRE_MESSAGE(answer.status == 201, answer.body.dump(2));
      server_references[entry["fullUrl"]] = type + "/" + answer.body["id"].get<std::string>();
    }
    const json response = stored_by_identifier("QuestionnaireResponse", administration.administration_id);
    CHECK(response["author"]["reference"] == chart.practitioner);
    CHECK(response["source"]["reference"] == chart.patient);
    CHECK(response["extension"][0]["valueCodeableConcept"]["coding"] == json::array({kVerbalParticipation}));
    const json total = stored_by_identifier("Observation", administration.administration_id + "-total");
    CHECK(total["method"]["coding"] == json::array({kVerbalParticipation}));
    CHECK(total["performer"] == json::array({{{"reference", chart.patient}}, {{"reference", chart.practitioner}}}));
    REQUIRE(total["hasMember"].size() == 4);
    CHECK(total["hasMember"][0]["reference"].get<std::string>().rfind("Observation/", 0) == 0);
  }

  TEST_CASE("the server refuses a verbal response whose practitioner it does not know") {
    // The reference checks run on the new author too: a reader the chart does not hold
    // is refused, not stored as a dangling author.
    ensure_questionnaires_on_server();
    const VerbalChart chart = seed_verbal_chart();
    const MeasureDefinition& measure = verbal_test_measures().outcome();
    Administration administration = verbal_administration(measure, chart, {52, 61, 47, 55});
    administration.entered_by_reference = "Practitioner/nobody-" + std::to_string(getpid());
    const auto mapped = alliance::fhir::administration_bundle(administration, measure, {});
    REQUIRE(mapped.error.empty());
    const FhirAnswer answer = fhir_request("POST", "", mapped.bundle);
    CHECK(answer.status >= 400);
    CHECK(answer.body.dump().find(administration.entered_by_reference + " not found") != std::string::npos);
  }
}
