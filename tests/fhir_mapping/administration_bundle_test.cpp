#include <doctest/doctest.h>

#include <set>

#include "mapping/administration_bundle.hpp"
#include "mapping_test_data.hpp"

using namespace alliance;
using alliance::fhir::administration_bundle;
using alliance::fhir::MappingSettings;
using nlohmann::json;
using namespace alliance::mapping_test_data;

namespace {

json entry_resource(const json& bundle, size_t index) { return bundle.at("entry").at(index).at("resource"); }
json last_resource(const json& bundle) { return bundle.at("entry").back().at("resource"); }

// The answer items' linkIds, in order.
std::vector<std::string> link_ids(const json& response) {
  std::vector<std::string> result;
  for (const json& item : response.value("item", json::array())) result.push_back(item["linkId"]);
  return result;
}

// The codes of the interpretation's codings, in order.
std::vector<std::string> interpretation_codes(const json& observation) {
  std::vector<std::string> result;
  for (const json& interpretation : observation.value("interpretation", json::array())) {
    result.push_back(interpretation["coding"][0]["code"].get<std::string>());
  }
  return result;
}

}  // namespace

TEST_SUITE("fhir_mapping") {
  TEST_CASE("an adult ORS in the clinical range maps to the golden transaction") {
    const auto result = administration_bundle(
        administration(MeasureKind::outcome_rating_scale, {42, 51, 38, 46}, 35), measures().outcome(), MappingSettings{});
    REQUIRE(result.error.empty());
    check_golden("ors_adult_clinical_range", result.bundle);
  }

  TEST_CASE("a young child's ORS has no interpretation and no reference range") {
    const auto result = administration_bundle(
        administration(MeasureKind::outcome_rating_scale, {80, 70, 90, 100}, 5), measures().outcome(), MappingSettings{});
    REQUIRE(result.error.empty());
    check_golden("ors_young_child", result.bundle);
    const json observation = entry_resource(result.bundle, 1);
    CHECK_FALSE(observation.contains("interpretation"));
    CHECK_FALSE(observation.contains("referenceRange"));
  }

  TEST_CASE("an SRS below 36 maps with the alliance cutoff") {
    const auto result = administration_bundle(
        administration(MeasureKind::session_rating_scale, {91, 84, 90, 87}, 35), measures().session_rating(),
        MappingSettings{});
    REQUIRE(result.error.empty());
    check_golden("srs_alliance_concern", result.bundle);
  }

  TEST_CASE("the resources carry what the chart needs") {
    Administration input = administration(MeasureKind::outcome_rating_scale, {63, 71, 58, 99}, 35);
    MappingSettings settings;
    settings.identifier_system = "urn:oid:2.16.840.1.113883.3.9999.1";
    const json bundle = administration_bundle(input, measures().outcome(), settings).bundle;
    CHECK(bundle["type"] == "transaction");
    const json response = entry_resource(bundle, 0);
    const json observation = entry_resource(bundle, 1);
    CHECK(response["questionnaire"] == "https://fhir.alliance-plugin.org/Questionnaire/ors|1.0.0");
    CHECK(response["identifier"]["value"] == input.administration_id);
    CHECK(response["identifier"]["system"] == settings.identifier_system);
    CHECK(link_ids(response) == std::vector<std::string>{"ors-individually", "ors-interpersonally", "ors-socially",
                                                         "ors-overall", "ors-rater", "ors-total"});
    CHECK(response["item"][5]["answer"][0]["valueDecimal"] == 29.1);
    CHECK(response["item"][4]["answer"][0]["valueCoding"]["code"] == "self");
    CHECK(response["language"] == "en");
    CHECK(response["status"] == "completed");
    CHECK(response["author"]["reference"] == "Patient/pat-alex");
    CHECK(observation["code"]["coding"][0]["code"] == "716613004");
    CHECK(observation["valueQuantity"]["value"] == 29.1);
    CHECK(observation["valueQuantity"]["code"] == "{score}");
    CHECK(observation["interpretation"][0]["coding"][0]["code"] == "N");
    CHECK(observation["derivedFrom"][0]["reference"] == bundle["entry"][0]["fullUrl"]);
    CHECK(observation["performer"][0]["reference"] == "Patient/pat-alex");
    CHECK_FALSE(observation.contains("hasMember"));
    CHECK(bundle["entry"][0]["request"]["ifNoneExist"] ==
          "identifier=urn:oid:2.16.840.1.113883.3.9999.1|" + input.administration_id);
    CHECK(bundle["entry"][1]["request"]["ifNoneExist"] ==
          "identifier=urn:oid:2.16.840.1.113883.3.9999.1|" + input.administration_id + "-total");
  }

  TEST_CASE("the mapping is a pure function of the administration") {
    const Administration input = administration(MeasureKind::outcome_rating_scale, {10, 20, 30, 40}, 35);
    const json first = administration_bundle(input, measures().outcome(), MappingSettings{}).bundle;
    CHECK(first == administration_bundle(input, measures().outcome(), MappingSettings{}).bundle);
    Administration other = input;
    other.administration_id = "0b6e5a52-9d1a-4f0e-8f6b-3c2d1e0f9a87";
    const json second = administration_bundle(other, measures().outcome(), MappingSettings{}).bundle;
    CHECK(first["entry"][0]["fullUrl"] != second["entry"][0]["fullUrl"]);
    CHECK(first["entry"][1]["fullUrl"] != second["entry"][1]["fullUrl"]);
  }

  TEST_CASE("an encounter is optional") {
    Administration input = administration(MeasureKind::session_rating_scale, {95, 95, 95, 95}, 35);
    input.encounter_reference.clear();
    const json bundle = administration_bundle(input, measures().session_rating(), MappingSettings{}).bundle;
    CHECK_FALSE(entry_resource(bundle, 0).contains("encounter"));
    CHECK_FALSE(entry_resource(bundle, 1).contains("encounter"));
  }

  TEST_CASE("without a Patient reference nothing is mapped and the reason is given") {
    Administration input = administration(MeasureKind::outcome_rating_scale, {10, 20, 30, 40}, 35);
    input.patient_reference = "participant:client-alex";
    const auto result = administration_bundle(input, measures().outcome(), MappingSettings{});
    CHECK(result.bundle.is_null());
    CHECK(result.error.find("no Patient reference") != std::string::npos);
  }

  TEST_CASE("another rater's ORS names the RelatedPerson and the relationship") {
    const auto result =
        administration_bundle(other_rater(measures().outcome(), {52, 61, 47, 55}, 15), measures().outcome(), MappingSettings{});
    REQUIRE(result.error.empty());
    check_golden("ors_other_rater_mother", result.bundle);
    const json response = entry_resource(result.bundle, 0);
    const json observation = entry_resource(result.bundle, 1);
    CHECK(link_ids(response) == std::vector<std::string>{"ors-individually", "ors-interpersonally", "ors-socially",
                                                         "ors-overall", "ors-rater", "ors-rater-relationship",
                                                         "ors-total"});
    CHECK(response["item"][4]["answer"][0]["valueCoding"]["code"] == "other");
    CHECK(response["item"][5]["answer"][0]["valueCoding"] ==
          json({{"system", "http://terminology.hl7.org/CodeSystem/v3-RoleCode"}, {"code", "MTH"}, {"display", "mother"}}));
    CHECK(response["author"]["reference"] == "RelatedPerson/rp-jordan");
    CHECK(response["source"]["reference"] == "RelatedPerson/rp-jordan");
    CHECK(observation["performer"] == json::array({{{"reference", "RelatedPerson/rp-jordan"}}}));
    CHECK(observation["code"]["text"] == "Outcome Rating Scale (ORS) total score (other rater)");
  }

  TEST_CASE("another rater the chart does not know is neither author nor performer") {
    Administration input = other_rater(measures().outcome(), {52, 61, 47, 55}, 15);
    input.rater_reference.clear();
    input.relationship.clear();
    const json bundle = administration_bundle(input, measures().outcome(), MappingSettings{}).bundle;
    const json response = entry_resource(bundle, 0);
    CHECK_FALSE(response.contains("author"));
    CHECK_FALSE(response.contains("source"));
    CHECK_FALSE(entry_resource(bundle, 1).contains("performer"));
    // Without a relationship there is no relationship answer.
    CHECK(link_ids(response) == std::vector<std::string>{"ors-individually", "ors-interpersonally", "ors-socially",
                                                         "ors-overall", "ors-rater", "ors-total"});
  }

  TEST_CASE("a child's CORS has the child cutoff and its own code") {
    const MeasureDefinition& measure = installed("CORS");
    const auto result = administration_bundle(administration(measure, {75, 80, 62, 70}, 9), measure, MappingSettings{});
    REQUIRE(result.error.empty());
    check_golden("cors_child", result.bundle);
    const json observation = entry_resource(result.bundle, 1);
    CHECK(observation["code"]["coding"][0]["code"] == "718458005");
    // 28.7: not in an adult's clinical range, but below the child cutoff of 32.
    CHECK(observation["interpretation"][0]["coding"][0]["code"] == "A");
    CHECK(observation["referenceRange"][0]["low"]["value"] == 32.0);
    CHECK(entry_resource(result.bundle, 0)["questionnaire"] == measure.canonical());
  }

  TEST_CASE("a young child's YCORS has no cutoff and the project's measure code") {
    const MeasureDefinition& measure = installed("YCORS");
    const auto result = administration_bundle(administration(measure, {90, 85, 70, 95}, 4), measure, MappingSettings{});
    REQUIRE(result.error.empty());
    check_golden("ycors_no_cutoff", result.bundle);
    const json observation = entry_resource(result.bundle, 1);
    CHECK(observation["code"]["coding"][0]["system"] == "https://fhir.alliance-plugin.org/CodeSystem/pcoms-measure");
    CHECK_FALSE(observation.contains("interpretation"));
    CHECK_FALSE(observation.contains("referenceRange"));
  }

  TEST_CASE("a stopped administration is a stopped QuestionnaireResponse alone") {
    Administration input = administration(measures().outcome(), {}, 35);
    input.status = "stopped";
    input.not_completed_reason = "declined";
    const auto result = administration_bundle(input, measures().outcome(), MappingSettings{});
    REQUIRE(result.error.empty());
    check_golden("ors_stopped", result.bundle);
    REQUIRE(result.bundle["entry"].size() == 1);
    const json response = entry_resource(result.bundle, 0);
    CHECK(response["status"] == "stopped");
    CHECK(link_ids(response) == std::vector<std::string>{"ors-rater"});
    // The same with item Observations on: still nothing but the response.
    MappingSettings settings;
    settings.item_observations = true;
    CHECK(administration_bundle(input, measures().outcome(), settings).bundle["entry"].size() == 1);
  }

  TEST_CASE("item Observations come before the total and the total lists them in hasMember") {
    MeasureHistory history;
    history.earlier_sessions = 2;
    history.earlier_administrations = 2;
    history.intake_total = 370;
    history.previous_total = 385;
    const MeasureDefinition& measure = measures().session_rating();
    MappingSettings settings;
    settings.item_observations = true;
    const auto result = administration_bundle(administration(measure, {95, 84, 96, 88}, 35, history), measure, settings);
    REQUIRE(result.error.empty());
    check_golden("srs_item_observations", result.bundle);
    const json& entries = result.bundle["entry"];
    REQUIRE(entries.size() == 6);
    const json total = last_resource(result.bundle);
    REQUIRE(total["hasMember"].size() == 4);
    for (size_t number = 1; number <= 4; ++number) {
      const json item = entry_resource(result.bundle, number);
      CAPTURE(number);
      CHECK(total["hasMember"][number - 1]["reference"] == entries[number]["fullUrl"]);
      CHECK(item["derivedFrom"][0]["reference"] == entries[0]["fullUrl"]);
      CHECK(item["identifier"][0]["value"] == "6f1c2a4e-8d3b-4c55-9e71-2b0d4f8a9c13-item-" + std::to_string(number));
      CHECK(entries[number]["request"]["ifNoneExist"] ==
            "identifier=https://fhir.alliance-plugin.org/sid/administration|6f1c2a4e-8d3b-4c55-9e71-2b0d4f8a9c13-item-" +
                std::to_string(number));
      CHECK(item["performer"] == total["performer"]);
      CHECK(item["code"]["coding"][0]["system"] == "https://fhir.alliance-plugin.org/CodeSystem/pcoms-item");
    }
    CHECK(entry_resource(result.bundle, 2)["valueQuantity"]["value"] == 8.4);
    // 36.0 or more, two items below 9 and a drop of 2.2 from last time: N plus three flags.
    CHECK(interpretation_codes(total) == std::vector<std::string>{"N", "item-check-in", "item-check-in", "alliance-drop"});
    // Fresh UUIDs for every resource, none repeated.
    std::set<std::string> urls;
    for (const json& entry : entries) urls.insert(entry["fullUrl"].get<std::string>());
    CHECK(urls.size() == entries.size());
  }

  TEST_CASE("reliable change, the outcome category and the expected response are coded") {
    MeasureHistory history;
    history.earlier_sessions = 3;
    history.earlier_administrations = 3;
    history.intake_total = 182;
    history.previous_total = 231;
    const MeasureDefinition& measure = measures().outcome();
    Administration input = administration(measure, {68, 71, 62, 69}, 35, history);
    // What an installed expected-treatment-response table would have said.
    input.scored.expected_total = 248;
    input.scored.on_track = true;
    const auto result = administration_bundle(input, measure, MappingSettings{});
    REQUIRE(result.error.empty());
    check_golden("ors_recovered_on_track", result.bundle);
    const json observation = entry_resource(result.bundle, 1);
    CHECK(interpretation_codes(observation) == std::vector<std::string>{"N", "U", "recovered", "on-track"});
    CHECK(observation["interpretation"][3]["text"].get<std::string>().find("24.8") != std::string::npos);
    CHECK(observation["interpretation"][2]["coding"][0]["system"] ==
          "https://fhir.alliance-plugin.org/CodeSystem/pcoms-outcome");
    CHECK(observation["interpretation"][3]["coding"][0]["system"] ==
          "https://fhir.alliance-plugin.org/CodeSystem/pcoms-expected-response");
  }

  TEST_CASE("reliable deterioration off track is D deteriorated and off-track") {
    MeasureHistory history;
    history.earlier_sessions = 3;
    history.earlier_administrations = 3;
    history.intake_total = 240;
    history.previous_total = 220;
    Administration input = administration(measures().outcome(), {40, 51, 38, 46}, 35, history);
    input.scored.expected_total = 262;
    input.scored.on_track = false;
    const json observation = entry_resource(administration_bundle(input, measures().outcome(), MappingSettings{}).bundle, 1);
    CHECK(interpretation_codes(observation) == std::vector<std::string>{"A", "D", "deteriorated", "off-track"});
    CHECK(observation["interpretation"][1]["coding"][0]["display"] == "Significant change down");
  }

  TEST_CASE("a Spanish ORS says its language and refers to the Spanish Questionnaire") {
    const MeasureDefinition& measure = installed("ORS", "es");
    const auto result = administration_bundle(administration(measure, {42, 51, 38, 46}, 35), measure, MappingSettings{});
    REQUIRE(result.error.empty());
    check_golden("ors_spanish", result.bundle);
    const json response = entry_resource(result.bundle, 0);
    CHECK(response["language"] == "es");
    CHECK(response["questionnaire"] == measure.canonical());
    CHECK(response["questionnaire"] != measures().outcome().canonical());
  }

  TEST_CASE("a questionnaire reference can name the Questionnaire's server id") {
    const auto result = administration_bundle(administration(MeasureKind::session_rating_scale, {95, 96, 97, 98}, 35),
                                              measures().session_rating(), MappingSettings{}, "Questionnaire/123");
    REQUIRE(result.error.empty());
    check_golden("srs_questionnaire_server_id", result.bundle);
    CHECK(entry_resource(result.bundle, 0)["questionnaire"] == "Questionnaire/123");
  }

  TEST_CASE("answers follow the Questionnaire's order") {
    MeasureDefinition measure = measures().outcome();
    json questionnaire = json::parse(measure.resource_json);
    // Rater items first, total before the scales: the response follows. (items[0] is
    // the spoken introduction, a display item, which has no answer.)
    json items = questionnaire["item"];
    questionnaire["item"] =
        json::array({items[5], items[6], items[7], items[0], items[1], items[2], items[3], items[4]});
    measure.resource_json = questionnaire.dump();
    const json response =
        entry_resource(administration_bundle(other_rater(measure, {52, 61, 47, 55}, 15), measure, MappingSettings{}).bundle, 0);
    CHECK(link_ids(response) == std::vector<std::string>{"ors-rater", "ors-rater-relationship", "ors-total",
                                                         "ors-individually", "ors-interpersonally", "ors-socially",
                                                         "ors-overall"});
  }
}
