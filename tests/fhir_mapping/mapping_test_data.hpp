// What the mapping tests share: the installed measures, administrations scored as the
// plugin scores them, and the comparison with golden files.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "measures/measure_library.hpp"
#include "scoring/scoring.hpp"

namespace alliance::mapping_test_data {

using nlohmann::json;

inline const MeasureLibrary& measures() {
  static const MeasureLibrary library = [] {
    std::vector<std::string> problems;
    return *load_measure_library(ALLIANCE_QUESTIONNAIRE_DIR, problems);
  }();
  return library;
}

inline const MeasureDefinition& installed(const std::string& code, const std::string& language = "en") {
  const MeasureDefinition* measure = measures().find(code, language);
  REQUIRE_MESSAGE(measure != nullptr, code << " is not in " << ALLIANCE_QUESTIONNAIRE_DIR);
  REQUIRE(measure->language == language);
  return *measure;
}

inline Administration administration(const MeasureDefinition& measure, std::vector<Tenths> items, int age,
                              const MeasureHistory& history = {}) {
  Administration result;
  result.administration_id = "6f1c2a4e-8d3b-4c55-9e71-2b0d4f8a9c13";
  result.session_id = "visit-1";
  result.client_key = "Patient/pat-alex";
  result.participant_id = "client-alex";
  result.patient_reference = "Patient/pat-alex";
  result.practitioner_reference = "Practitioner/pr-kim";
  result.encounter_reference = "Encounter/enc-1101";
  result.questionnaire = measure.canonical();
  result.measure_code = measure.code;
  result.language = measure.language;
  result.authored_at = "2026-11-02T15:04:05.123Z";
  result.age_years = age;
  for (const MeasureItem& item : measure.items) result.item_link_ids.push_back(item.link_id);
  result.scored = score_measure(measure, items, age, history, ScoringRules{});
  return result;
}

inline Administration administration(MeasureKind kind, std::vector<Tenths> items, int age) {
  return administration(kind == MeasureKind::outcome_rating_scale ? measures().outcome() : measures().session_rating(),
                        std::move(items), age);
}

// A parent's ORS about their child: the rater is a RelatedPerson the host named.
inline Administration other_rater(const MeasureDefinition& measure, std::vector<Tenths> items, int age) {
  Administration result = administration(measure, std::move(items), age);
  result.other_rater = true;
  result.rater_reference = "RelatedPerson/rp-jordan";
  result.relationship = "MTH";
  return result;
}

// Compares with golden/<name>.json, or writes it when ALLIANCE_UPDATE_GOLDEN is set.
inline void check_golden(const std::string& name, const json& actual) {
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

}  // namespace alliance::mapping_test_data
