#include <algorithm>
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "measures/measure_library.hpp"
#include "test_support.hpp"
#include "support/text.hpp"

using namespace alliance;
using alliance::testing::TemporaryFolder;
using alliance::testing::write_file;
using nlohmann::json;
using alliance::testing::joined;

namespace {

json shipped_questionnaire(const char* file) {
  std::ifstream input(std::string(ALLIANCE_QUESTIONNAIRE_DIR) + "/" + file);
  std::stringstream text;
  text << input.rdbuf();
  return json::parse(text.str());
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
    auto& three_items = three["item"];
    three_items.erase(std::find_if(three_items.begin(), three_items.end(),
                                   [](const json& item) { return item["linkId"] == "ors-individually"; }));
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
    wrong_type["item"][2]["type"] = "integer";  // item[0] is the spoken introduction
    problems.clear();
    CHECK_FALSE(parse_questionnaire(wrong_type.dump(), "wrong.json", problems));
    CHECK(joined(problems).find("wrong.json: item[2].type") != std::string::npos);
  }

  TEST_CASE("a folder that does not exist is reported") {
    std::vector<std::string> problems;
    CHECK_FALSE(load_measure_library("/nonexistent/alliance/measures", problems));
    CHECK(joined(problems).find("not a folder") != std::string::npos);
  }

  TEST_CASE("every shipped measure loads in English and Spanish") {
    std::vector<std::string> problems;
    const auto library = load_measure_library(ALLIANCE_QUESTIONNAIRE_DIR, problems,
                                              {std::begin(kMeasureCodes), std::end(kMeasureCodes)});
    REQUIRE_MESSAGE(library, joined(problems));
    CHECK(library->measures.size() == 14);
    for (const char* code : kMeasureCodes) {
      CAPTURE(code);
      std::vector<std::string> languages = library->languages_of(code);
      std::sort(languages.begin(), languages.end());
      CHECK(languages == std::vector<std::string>{"en", "es"});
      for (const char* language : {"en", "es"}) {
        CAPTURE(language);
        const MeasureDefinition* measure = library->find(code, language);
        REQUIRE(measure != nullptr);
        CHECK(measure->code == code);
        CHECK(measure->language == language);
        CHECK(measure->kind == family_of(code));
        CHECK(measure->items.size() == 4);
        CHECK_FALSE(measure->total_link_id.empty());
        CHECK(library->by_canonical(measure->canonical()) == measure);
      }
    }
  }

  TEST_CASE("a measure is found in the preferred language or else in the default one") {
    const MeasureLibrary& library = alliance::testing::shipped_measures();
    struct Row {
      const char* code;
      const char* preferred;
      const char* file;  // the file the measure comes from
    };
    const Row rows[] = {
        {"ORS", "es-MX", "ors.es.json"}, {"ORS", "es", "ors.es.json"},  {"ORS", "ES-mx", "ors.es.json"},
        {"ORS", "fr", "ors.json"},       {"ORS", "fr-CA", "ors.json"},  {"ORS", "", "ors.json"},
        {"ORS", "en-GB", "ors.json"},    {"SRS", "es-ES", "srs.es.json"}, {"CORS", "es-419", "cors.es.json"},
        {"YCORS", "de", "ycors.json"},   {"CGSRS", "es", "cgsrs.es.json"},
    };
    for (const Row& row : rows) {
      CAPTURE(row.code);
      CAPTURE(row.preferred);
      const MeasureDefinition* found = library.find(row.code, row.preferred);
      REQUIRE(found != nullptr);
      CHECK(std::filesystem::path(found->source_file).filename() == row.file);
    }
    CHECK(library.find("ORS", "es-MX")->title.find("Escala de Valoración de Resultados") == 0);
    CHECK(library.find("XYZ", "en") == nullptr);
  }

  TEST_CASE("a second file for the same measure and language or the same url is refused naming both files") {
    {
      TemporaryFolder folder;
      write_file(folder.path() / "a-ors.json", shipped_questionnaire("ors.json").dump());
      json copy = shipped_questionnaire("ors.json");
      copy["url"] = "https://clinic.example.org/Questionnaire/ors";  // another url: still the same measure
      write_file(folder.path() / "b-ors.json", copy.dump());
      write_file(folder.path() / "srs.json", shipped_questionnaire("srs.json").dump());
      std::vector<std::string> problems;
      CHECK_FALSE(load_measure_library(folder.path(), problems));
      const std::string text = joined(problems);
      CAPTURE(text);
      CHECK(problems.size() == 1);
      CHECK(text.find("b-ors.json: a second Questionnaire for the ORS in language \"en\"") != std::string::npos);
      CHECK(text.find("(first: " + (folder.path() / "a-ors.json").string() + ")") != std::string::npos);
    }
    {
      TemporaryFolder folder;
      write_file(folder.path() / "a-ors.json", shipped_questionnaire("ors.json").dump());
      json spanish = shipped_questionnaire("ors.es.json");
      spanish["url"] = shipped_questionnaire("ors.json")["url"];  // a translation that kept the English url
      write_file(folder.path() / "b-ors-es.json", spanish.dump());
      write_file(folder.path() / "srs.json", shipped_questionnaire("srs.json").dump());
      std::vector<std::string> problems;
      CHECK_FALSE(load_measure_library(folder.path(), problems));
      const std::string text = joined(problems);
      CAPTURE(text);
      CHECK(problems.size() == 1);
      CHECK(text.find("b-ors-es.json: url and version https://fhir.alliance-plugin.org/Questionnaire/ors|1.0.0") !=
            std::string::npos);
      CHECK(text.find("also those of " + (folder.path() / "a-ors.json").string()) != std::string::npos);
    }
  }

  TEST_CASE("a required measure missing in the default language is refused naming it") {
    TemporaryFolder folder;
    for (const char* file : {"ors.json", "srs.json", "cors.es.json"}) {
      write_file(folder.path() / file, shipped_questionnaire(file).dump());
    }
    std::vector<std::string> problems;
    CHECK_FALSE(load_measure_library(folder.path(), problems, {"ORS", "SRS", "CORS"}));
    const std::string text = joined(problems);
    CAPTURE(text);
    CHECK(problems.size() == 1);
    CHECK(text.find("no Questionnaire for the CORS in the default language \"en\"") != std::string::npos);
    // With Spanish as the default language the ORS and SRS are missing instead.
    problems.clear();
    CHECK_FALSE(load_measure_library(folder.path(), problems, {"ORS", "SRS", "CORS"}, "es"));
    CHECK(problems.size() == 2);
    CHECK(joined(problems).find("no Questionnaire for the ORS in the default language \"es\"") != std::string::npos);
    problems.clear();
    CHECK(load_measure_library(folder.path(), problems, {"ORS", "SRS"}));
  }

  TEST_CASE("a choice item must be one of the rater items") {
    struct Row {
      const char* name;
      json code;
      bool accepted;
      const char* field;  // which link the accepted item becomes
    };
    const std::string items = "https://fhir.alliance-plugin.org/CodeSystem/pcoms-item";
    const Row rows[] = {
        {"no code", json(), false, ""},
        {"another system", json::array({{{"system", "http://example.org"}, {"code", "rater"}}}), false, ""},
        {"another code", json::array({{{"system", items}, {"code", "mood"}}}), false, ""},
        {"rater", json::array({{{"system", items}, {"code", "rater"}}}), true, "rater"},
        {"rater-relationship", json::array({{{"system", items}, {"code", "rater-relationship"}}}), true, "relationship"},
    };
    for (const Row& row : rows) {
      CAPTURE(row.name);
      json questionnaire = shipped_questionnaire("srs.json");
      json item = {{"linkId", "srs-extra"}, {"type", "choice"}, {"text", "Who filled this in?"}};
      if (!row.code.is_null()) item["code"] = row.code;
      questionnaire["item"].push_back(item);
      std::vector<std::string> problems;
      const auto parsed = parse_questionnaire(questionnaire.dump(), "extra.json", problems);
      CHECK(parsed.has_value() == row.accepted);
      if (row.accepted) {
        // The shipped SRS has neither link, so the other one stays empty.
        const std::string rater = std::string(row.field) == "rater" ? "srs-extra" : "";
        const std::string relationship = std::string(row.field) == "relationship" ? "srs-extra" : "";
        CHECK(parsed->rater_link_id == rater);
        CHECK(parsed->relationship_link_id == relationship);
        CHECK(parsed->items.size() == 4);
      } else {
        CHECK(joined(problems).find("extra.json: item[6]: a choice item must have code") != std::string::npos);
      }
    }
    // The shipped ORS records both who filled it in and their relationship.
    const MeasureDefinition& ors = alliance::testing::shipped_measures().outcome();
    CHECK(ors.rater_link_id == "ors-rater");
    CHECK(ors.relationship_link_id == "ors-rater-relationship");
  }
}
