#include <algorithm>
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "measure_library.hpp"
#include "test_support.hpp"

using namespace alliance;
using alliance::testing::TemporaryFolder;
using alliance::testing::write_file;
using nlohmann::json;

namespace {

json shipped_questionnaire(const char* file) {
  std::ifstream input(std::string(ALLIANCE_QUESTIONNAIRE_DIR) + "/" + file);
  std::stringstream text;
  text << input.rdbuf();
  return json::parse(text.str());
}

std::string joined(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& problem : problems) text += problem + "\n";
  return text;
}

}  // namespace

TEST_SUITE("measure_library") {
  TEST_CASE("the shipped ORS and SRS load with four scales and a total") {
    std::vector<std::string> problems;
    const auto library = load_measure_library(ALLIANCE_QUESTIONNAIRE_DIR, problems);
    REQUIRE_MESSAGE(library, joined(problems));
    CHECK(library->outcome().kind == MeasureKind::outcome_rating_scale);
    CHECK(library->outcome().items.size() == 4);
    CHECK(library->outcome().total_link_id == "ors-total");
    CHECK(library->outcome().canonical() == "https://fhir.alliance-plugin.org/Questionnaire/ors|1.0.0");
    CHECK(library->session_rating().kind == MeasureKind::session_rating_scale);
    CHECK(library->session_rating().items[0].text.find("Relationship") == 0);
    CHECK(library->session_rating().items[1].short_name == "Goals and Topics");
  }

  TEST_CASE("a measure is recognised by its SNOMED CT code and not its file name") {
    TemporaryFolder folder;
    write_file(folder.path() / "a.json", shipped_questionnaire("srs.json").dump());
    write_file(folder.path() / "b.json", shipped_questionnaire("ors.json").dump());
    std::vector<std::string> problems;
    const auto library = load_measure_library(folder.path(), problems);
    REQUIRE_MESSAGE(library, joined(problems));
    CHECK(library->outcome().source_file.find("b.json") != std::string::npos);
  }

  TEST_CASE("a missing measure and a duplicate and a broken file are each reported") {
    TemporaryFolder folder;
    write_file(folder.path() / "ors.json", shipped_questionnaire("ors.json").dump());
    write_file(folder.path() / "ors-copy.json", shipped_questionnaire("ors.json").dump());
    write_file(folder.path() / "broken.json", "{not json");
    std::vector<std::string> problems;
    CHECK_FALSE(load_measure_library(folder.path(), problems));
    const std::string text = joined(problems);
    CHECK(text.find("no Questionnaire for the SRS") != std::string::npos);
    CHECK(text.find("a second Questionnaire for the ORS") != std::string::npos);
    CHECK(text.find("broken.json: not a JSON object") != std::string::npos);
  }

  TEST_CASE("a Questionnaire without four scales or without a total is refused") {
    json three = shipped_questionnaire("ors.json");
    three["item"].erase(0);
    std::vector<std::string> problems;
    CHECK_FALSE(parse_questionnaire(three.dump(), "three.json", problems));
    CHECK(joined(problems).find("needs 4 scale items") != std::string::npos);

    json no_total = shipped_questionnaire("ors.json");
    auto& items = no_total["item"];
    items.erase(std::remove_if(items.begin(), items.end(),
                               [](const json& item) { return item.value("readOnly", false) && item["type"] == "decimal"; }),
                items.end());
    problems.clear();
    CHECK_FALSE(parse_questionnaire(no_total.dump(), "no-total.json", problems));
    CHECK(joined(problems).find("readOnly decimal total") != std::string::npos);

    json wrong_type = shipped_questionnaire("ors.json");
    wrong_type["item"][1]["type"] = "integer";
    problems.clear();
    CHECK_FALSE(parse_questionnaire(wrong_type.dump(), "wrong.json", problems));
    CHECK(joined(problems).find("wrong.json: item[1].type") != std::string::npos);
  }

  TEST_CASE("a folder that does not exist is reported") {
    std::vector<std::string> problems;
    CHECK_FALSE(load_measure_library("/nonexistent/alliance/measures", problems));
    CHECK(joined(problems).find("not a folder") != std::string::npos);
  }
}
