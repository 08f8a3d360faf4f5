// Loads the measures from FHIR R4 Questionnaire files in a folder. A file is
// recognised by its Questionnaire.code (the SNOMED CT code of the measure's total, or
// the project's pcoms-measure code for measures SNOMED CT has no code for) and its
// Questionnaire.language, so a clinic can replace the shipped files with its licensed
// wording and add translations by dropping files into the folder.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "measures/measure_definition.hpp"

namespace alliance {

constexpr const char* kSnomedSystem = "http://snomed.info/sct";
constexpr const char* kOutcomeRatingScaleSnomed = "716613004";
constexpr const char* kSessionRatingScaleSnomed = "720482000";
constexpr const char* kMeasureCodeSystem = "https://fhir.alliance-plugin.org/CodeSystem/pcoms-measure";

// The SNOMED CT code of a measure's total, or "" (YCORS and GSRS have none).
const char* snomed_code_of(const std::string& measure_code);

struct MeasureLibrary {
  std::vector<MeasureDefinition> measures;  // every measure in every language loaded
  std::string default_language = "en";      // the fallback when no translation matches

  // The measure in the participant's preferred language (BCP 47): the exact tag, then
  // its primary language ("es" for "es-MX"), then the default language. Nothing when
  // the measure is not installed at all.
  const MeasureDefinition* find(const std::string& code, const std::string& preferred_language) const;
  // By "url|version", as an administration refers to it.
  const MeasureDefinition* by_canonical(const std::string& canonical) const;
  // The default-language ORS and SRS, which every library has (the loader requires them).
  const MeasureDefinition& outcome() const { return *find("ORS", default_language); }
  const MeasureDefinition& session_rating() const { return *find("SRS", default_language); }
  // Every language installed for a measure (for messages and the README's checks).
  std::vector<std::string> languages_of(const std::string& code) const;
};

// Reads one Questionnaire (text of a file). On failure returns nothing and appends
// the reasons, each starting with `source`.
std::optional<MeasureDefinition> parse_questionnaire(const std::string& text, const std::string& source,
                                                     std::vector<std::string>& problems);

// Loads every *.json file in `folder`. Each (measure, language) may appear once, and
// every measure in `required_codes` must be there in `default_language`.
std::optional<MeasureLibrary> load_measure_library(const std::filesystem::path& folder,
                                                   std::vector<std::string>& problems,
                                                   const std::vector<std::string>& required_codes = {"ORS", "SRS"},
                                                   const std::string& default_language = "en");

}  // namespace alliance
