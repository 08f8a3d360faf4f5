// Loads the measures from FHIR R4 Questionnaire files in a folder. A file is
// recognised by its Questionnaire.code (the SNOMED CT code of the measure's total),
// so a clinic can replace the shipped files with its licensed wording.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "measure_definition.hpp"

namespace alliance {

constexpr const char* kSnomedSystem = "http://snomed.info/sct";
constexpr const char* kOutcomeRatingScaleSnomed = "716613004";
constexpr const char* kSessionRatingScaleSnomed = "720482000";

struct MeasureLibrary {
  MeasureDefinition outcome;
  MeasureDefinition session_rating;

  const MeasureDefinition& get(MeasureKind kind) const {
    return kind == MeasureKind::outcome_rating_scale ? outcome : session_rating;
  }
};

// Reads one Questionnaire (text of a file). On failure returns nothing and appends
// the reasons, each starting with `source`.
std::optional<MeasureDefinition> parse_questionnaire(const std::string& text, const std::string& source,
                                                     std::vector<std::string>& problems);

// Loads every *.json file in `folder`; needs exactly one ORS and one SRS.
std::optional<MeasureLibrary> load_measure_library(const std::filesystem::path& folder,
                                                   std::vector<std::string>& problems);

}  // namespace alliance
