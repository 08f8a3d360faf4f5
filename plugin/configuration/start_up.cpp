#include "configuration/start_up.hpp"

#include <memory>
#include <string>
#include <utility>

#include "scoring/expected_response.hpp"

namespace alliance {

StartUp prepare_start(Configuration configuration) {
  StartUp start{std::move(configuration), std::nullopt, {}};
  const SelectionRules& selection = start.configuration.selection;

  std::vector<std::string> measure_problems;
  start.measures = load_measure_library(start.configuration.questionnaire_folder, measure_problems, selection.enabled,
                                        selection.default_language);
  if (!start.measures) {
    for (std::string& problem : measure_problems) {
      start.problems.push_back({"measures.questionnaire_folder", std::move(problem)});
    }
  }

  if (const std::filesystem::path& file = start.configuration.expected_response_file; !file.empty()) {
    std::vector<std::string> table_problems;
    if (auto table = ExpectedResponseTable::load(file, table_problems)) {
      start.configuration.scoring.expected_response = std::make_shared<const ExpectedResponseTable>(std::move(*table));
    } else {
      for (std::string& problem : table_problems) {
        start.problems.push_back({"scoring.expected_treatment_response_file", std::move(problem)});
      }
    }
  }
  return start;
}

}  // namespace alliance
