#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "administration_bundle.hpp"
#include "measure_library.hpp"

using namespace alliance;
using alliance::fhir::administration_bundle;
using alliance::fhir::MappingSettings;
using nlohmann::json;

namespace {

const MeasureLibrary& measures() {
  static const MeasureLibrary library = [] {
    std::vector<std::string> problems;
    return *load_measure_library(ALLIANCE_QUESTIONNAIRE_DIR, problems);
  }();
  return library;
}

Administration administration(MeasureKind kind, std::vector<Tenths> items, int age) {
  const MeasureDefinition& measure = (kind == MeasureKind::outcome_rating_scale ? measures().outcome() : measures().session_rating());
  Administration result;
  result.administration_id = "6f1c2a4e-8d3b-4c55-9e71-2b0d4f8a9c13";
  result.session_id = "visit-1";
  result.client_key = "Patient/pat-alex";
  result.participant_id = "client-alex";
  result.patient_reference = "Patient/pat-alex";
  result.practitioner_reference = "Practitioner/pr-kim";
  result.encounter_reference = "Encounter/enc-1101";
  result.questionnaire = measure.canonical();
  result.authored_at = "2026-11-02T15:04:05.123Z";
  result.age_years = age;
  for (const MeasureItem& item : measure.items) result.item_link_ids.push_back(item.link_id);
  result.scored = score_measure(measure, items, age, MeasureHistory{}, ScoringRules{});
  return result;
}

// Compares with golden/<name>.json, or writes it when ALLIANCE_UPDATE_GOLDEN is set.
void check_golden(const std::string& name, const json& actual) {
  const std::string path = std::string(ALLIANCE_GOLDEN_DIR) + "/" + name + ".json";
  if (std::getenv("ALLIANCE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual.dump(2) << "\n";
  }
  std::ifstream file(path);
  REQUIRE_MESSAGE(file.good(), "no golden file " << path << " (run with ALLIANCE_UPDATE_GOLDEN=1)");
  std::stringstream text;
  text << file.rdbuf();
  const json expected = json::parse(text.str());
  CHECK_MESSAGE(actual == expected, "differs from " << path << ":\n" << json::diff(expected, actual).dump(2));
}

json entry_resource(const json& bundle, size_t index) { return bundle.at("entry").at(index).at("resource"); }

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
    CHECK(response["item"].size() == 5);
    CHECK(response["item"][4]["linkId"] == "ors-total");
    CHECK(response["item"][4]["answer"][0]["valueDecimal"] == 29.1);
    CHECK(observation["code"]["coding"][0]["code"] == "716613004");
    CHECK(observation["valueQuantity"]["value"] == 29.1);
    CHECK(observation["valueQuantity"]["code"] == "{score}");
    CHECK(observation["interpretation"][0]["coding"][0]["code"] == "N");
    CHECK(observation["derivedFrom"][0]["reference"] == bundle["entry"][0]["fullUrl"]);
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
}
