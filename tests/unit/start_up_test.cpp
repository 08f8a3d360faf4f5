// What the plugin's entry point and `alliancectl check-config` load after the
// configuration has parsed: the same function, so they accept and refuse the same.
#include <doctest/doctest.h>

#include <string>

#include "configuration/start_up.hpp"
#include "scoring/expected_response.hpp"
#include "support/files.hpp"
#include "support/temporary_folder.hpp"

using namespace alliance;

namespace {

Configuration configuration_with(const std::filesystem::path& questionnaires, const std::filesystem::path& table) {
  Configuration configuration;
  configuration.questionnaire_folder = questionnaires;
  configuration.selection.enabled = {"ORS", "SRS"};
  configuration.selection.default_language = "en";
  configuration.expected_response_file = table;
  return configuration;
}

int problems_for(const StartUp& start, const std::string& key) {
  int count = 0;
  for (const ConfigurationProblem& problem : start.problems) count += problem.key == key ? 1 : 0;
  return count;
}

}  // namespace

TEST_SUITE("start_up") {
  TEST_CASE("the shipped measures and a valid table load, and the table reaches the scoring settings") {
    alliance::testing::TemporaryFolder folder;
    const std::filesystem::path table = folder.file("etr.json");
    alliance::testing::write_file(table, R"({"measure": "ORS", "source": "made up for the tests",
        "rows": [{"intake": 15.0, "sessions": [{"session": 2, "expected": 17.2}]}]})");
    const StartUp start = prepare_start(configuration_with(ALLIANCE_QUESTIONNAIRE_DIR, table));
    CHECK_MESSAGE(start.problems.empty(), describe(start.problems));
    REQUIRE(start.measures.has_value());
    CHECK(start.measures->find("ORS", "en") != nullptr);
    REQUIRE(start.configuration.scoring.expected_response != nullptr);
    const auto expectation = start.configuration.scoring.expected_response->expectation(150, 2);
    REQUIRE(expectation.has_value());
    CHECK(expectation->expected == 172);
  }

  TEST_CASE("a missing measure and a broken table are both reported, each under its setting") {
    alliance::testing::TemporaryFolder folder;
    alliance::testing::write_file(folder.file("etr.json"), R"({"measure": "ORS", "rows": 3})");
    // An empty questionnaire folder lacks the enabled ORS and SRS.
    const StartUp start = prepare_start(configuration_with(folder.path(), folder.file("etr.json")));
    CHECK_FALSE(start.measures.has_value());
    CHECK(problems_for(start, "measures.questionnaire_folder") >= 1);
    CHECK(problems_for(start, "scoring.expected_treatment_response_file") >= 1);
    CHECK(start.configuration.scoring.expected_response == nullptr);
    CHECK(describe(start.problems).find("etr.json") != std::string::npos);  // the file is named
  }

  TEST_CASE("no table configured: none is loaded and nothing is a problem") {
    const StartUp start = prepare_start(configuration_with(ALLIANCE_QUESTIONNAIRE_DIR, {}));
    CHECK_MESSAGE(start.problems.empty(), describe(start.problems));
    CHECK(start.measures.has_value());
    CHECK(start.configuration.scoring.expected_response == nullptr);
  }
}
