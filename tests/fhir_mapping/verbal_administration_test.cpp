// A verbal administration (docs/chart.md, "Verbal administration"): the therapist read
// the items aloud and entered what the client said. The QuestionnaireResponse's author
// is the Practitioner who recorded the answers and its source still the client, with
// FHIR's completionMode extension; the Observations carry the method and the
// Practitioner as a second performer. Electronic administrations are unchanged (the
// other golden files).
#include <doctest/doctest.h>

#include "mapping/administration_bundle.hpp"
#include "mapping/chart_bundle.hpp"
#include "mapping_test_data.hpp"

using namespace alliance;
using alliance::fhir::administration_bundle;
using alliance::fhir::chart_bundle;
using alliance::fhir::MappingSettings;
using nlohmann::json;
using namespace alliance::mapping_test_data;

namespace {

Administration read_aloud(Administration administration) {
  administration.completion_mode = "VERBAL";
  administration.entered_by_reference = "Practitioner/pr-kim";
  return administration;
}

const json kVerbalCoding = {
    {"system", "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"}, {"code", "VERBAL"}, {"display", "verbal"}};

const json kCompletionMode = json::array(
    {{{"url", "http://hl7.org/fhir/StructureDefinition/questionnaireresponse-completionMode"},
      {"valueCodeableConcept", {{"coding", json::array({kVerbalCoding})}}}}});

json resource_at(const json& bundle, size_t index) { return bundle.at("entry").at(index).at("resource"); }

MappingSettings with_item_observations() {
  MappingSettings settings;
  settings.item_observations = true;
  return settings;
}

}  // namespace

TEST_SUITE("fhir_mapping") {
  TEST_CASE("a verbal ORS names the practitioner as author and the client as source") {
    const MeasureDefinition& measure = measures().outcome();
    const auto result = administration_bundle(read_aloud(administration(measure, {52, 61, 47, 55}, 34)), measure,
                                              with_item_observations());
    REQUIRE(result.error.empty());
    check_golden("ors_verbal", result.bundle);
    const json response = resource_at(result.bundle, 0);
    CHECK(response["author"] == json({{"reference", "Practitioner/pr-kim"}}));
    CHECK(response["source"] == json({{"reference", "Patient/pat-alex"}}));
    CHECK(response["extension"] == kCompletionMode);
    const json& entries = result.bundle["entry"];
    REQUIRE(entries.size() == 6);  // the response, four items, the total
    for (size_t index = 1; index < entries.size(); ++index) {
      CAPTURE(index);
      const json observation = resource_at(result.bundle, index);
      CHECK(observation["method"]["coding"] == json::array({kVerbalCoding}));
      CHECK(observation["method"]["text"] ==
            "Verbal administration: read aloud by the practitioner, who entered the client's answers");
      CHECK(observation["performer"] ==
            json::array({{{"reference", "Patient/pat-alex"}}, {{"reference", "Practitioner/pr-kim"}}}));
    }
  }

  TEST_CASE("a verbal administration differs from the electronic one only in who and how") {
    const MeasureDefinition& measure = measures().session_rating();
    const Administration electronic = administration(measure, {95, 84, 96, 88}, 35);
    json verbal = administration_bundle(read_aloud(electronic), measure, with_item_observations()).bundle;
    const json plain = administration_bundle(electronic, measure, with_item_observations()).bundle;
    REQUIRE(verbal["entry"].size() == plain["entry"].size());
    for (json& entry : verbal["entry"]) {
      json& resource = entry["resource"];
      resource.erase("extension");
      resource.erase("method");
      if (resource["resourceType"] == "QuestionnaireResponse") {
        resource["author"] = resource["source"];
      } else {
        resource["performer"].erase(1);
      }
    }
    CHECK(verbal == plain);
    // The electronic one says nothing of a completion mode or a method.
    for (const json& entry : plain["entry"]) {
      CHECK_FALSE(entry["resource"].contains("extension"));
      CHECK_FALSE(entry["resource"].contains("method"));
    }
  }

  TEST_CASE("a verbal other rater's answers come from the RelatedPerson and were entered by the practitioner") {
    const MeasureDefinition& measure = measures().outcome();
    const json bundle =
        administration_bundle(read_aloud(other_rater(measure, {52, 61, 47, 55}, 15)), measure, MappingSettings{}).bundle;
    const json response = resource_at(bundle, 0);
    CHECK(response["author"]["reference"] == "Practitioner/pr-kim");
    CHECK(response["source"]["reference"] == "RelatedPerson/rp-jordan");
    CHECK(resource_at(bundle, 1)["performer"] ==
          json::array({{{"reference", "RelatedPerson/rp-jordan"}}, {{"reference", "Practitioner/pr-kim"}}}));
  }

  TEST_CASE("a verbal administration without a Practitioner reference claims nobody as author") {
    const MeasureDefinition& measure = measures().outcome();
    for (const char* entered : {"", "Patient/pat-alex", "Practitioner/", "RelatedPerson/rp-jordan", "pr-kim"}) {
      CAPTURE(entered);
      Administration input = read_aloud(administration(measure, {52, 61, 47, 55}, 34));
      input.entered_by_reference = entered;
      const json bundle = administration_bundle(input, measure, MappingSettings{}).bundle;
      const json response = resource_at(bundle, 0);
      CHECK_FALSE(response.contains("author"));
      CHECK(response["source"]["reference"] == "Patient/pat-alex");
      CHECK(response["extension"] == kCompletionMode);
      const json total = resource_at(bundle, 1);
      CHECK(total["performer"] == json::array({{{"reference", "Patient/pat-alex"}}}));
      CHECK(total["method"]["coding"] == json::array({kVerbalCoding}));
    }
  }

  TEST_CASE("an electronic administration ignores a stray entered-by reference") {
    const MeasureDefinition& measure = measures().outcome();
    Administration input = administration(measure, {52, 61, 47, 55}, 34);
    const json plain = administration_bundle(input, measure, MappingSettings{}).bundle;
    input.entered_by_reference = "Practitioner/pr-kim";
    CHECK(administration_bundle(input, measure, MappingSettings{}).bundle == plain);
  }

  TEST_CASE("a verbal stopped administration still says how it was given") {
    const MeasureDefinition& measure = measures().outcome();
    Administration input = read_aloud(administration(measure, {52, 61, 47, 55}, 34));
    input.status = "stopped";
    input.not_completed_reason = "session_ended";
    input.scored = ScoredMeasure{};
    const json bundle = administration_bundle(input, measure, MappingSettings{}).bundle;
    REQUIRE(bundle["entry"].size() == 1);
    const json response = resource_at(bundle, 0);
    CHECK(response["status"] == "stopped");
    CHECK(response["extension"] == kCompletionMode);
    CHECK(response["author"]["reference"] == "Practitioner/pr-kim");
  }

  TEST_CASE("flowsheet rows and the note's DocumentReference are the same for a verbal administration") {
    // A flowsheet cell holds one value: how it was given is said by the note's text
    // (plugin/documents), whose bytes the mapping is given.
    const MeasureDefinition& measure = measures().outcome();
    MappingSettings settings;
    settings.chart.fhir_native = false;
    settings.chart.flowsheet = true;
    settings.chart.document = true;
    settings.chart.document_type = {"http://loinc.org", "11506-3", "Progress note"};
    settings.chart.flowsheet_rows["ORS"] = {{"urn:oid:1.2.3", "1001", "ORS total"}, {}};
    const std::vector<fhir::NoteAttachment> note = {{"text/plain; charset=utf-8", "en", "", "the note"}};
    const Administration electronic = administration(measure, {52, 61, 47, 55}, 34);
    const auto plain = chart_bundle(electronic, measure, settings, note);
    REQUIRE(plain.error.empty());
    const auto verbal = chart_bundle(read_aloud(electronic), measure, settings, note);
    REQUIRE(verbal.error.empty());
    CHECK(verbal.bundle == plain.bundle);
    // With the fhir-native profile too, the rows stay as they are.
    settings.chart.fhir_native = true;
    const json combined = chart_bundle(read_aloud(electronic), measure, settings, note).bundle;
    for (const json& entry : combined["entry"]) {
      const json& resource = entry["resource"];
      const bool survey = resource["resourceType"] == "Observation" &&
                          resource["category"][0]["coding"][0]["code"] == "survey";
      CAPTURE(resource.dump());
      CHECK(resource.contains("method") == survey);
    }
  }
}
