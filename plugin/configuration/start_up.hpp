// What the plugin loads at start once its configuration has parsed: the measure
// library and, when the clinic installed one, the licensed expected-treatment-response
// table. One function, so that the plugin's entry point and `alliancectl check-config`
// load the same files the same way and report the same problems.
#pragma once

#include <optional>
#include <vector>

#include "configuration/configuration.hpp"
#include "measures/measure_library.hpp"

namespace alliance {

struct StartUp {
  Configuration configuration;  // with scoring.expected_response set when a table is configured
  std::optional<MeasureLibrary> measures;  // set when the library loaded
  // Empty: everything loaded. Otherwise each problem names its setting
  // (measures.questionnaire_folder, scoring.expected_treatment_response_file).
  std::vector<ConfigurationProblem> problems;
};

// Loads the enabled measures in the default language from the questionnaire folder,
// and the ETR table; every problem of either is reported, not only the first.
StartUp prepare_start(Configuration configuration);

}  // namespace alliance
