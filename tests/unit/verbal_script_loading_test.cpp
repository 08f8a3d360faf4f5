// The spoken introduction and item scripts of a verbal (phone) administration, as the
// loader reads them from the Questionnaire files (docs/measures.md, "Scripts for
// verbal administration"): optional, bounded, hidden from a form, and every mistake
// named with its file and item.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "measures/measure_library.hpp"
#include "support/text.hpp"
#include "test_support.hpp"

using namespace alliance;
using alliance::testing::joined;
using nlohmann::json;

namespace {

json questionnaire_from_folder(const char* file) {
  std::ifstream input(std::string(ALLIANCE_QUESTIONNAIRE_DIR) + "/" + file);
  std::stringstream text;
  text << input.rdbuf();
  return json::parse(text.str());
}

const json kHidden = {{"url", "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"}, {"valueBoolean", true}};

// The item whose linkId is `link_id`, at the top level.
json& top_level_item(json& questionnaire, const std::string& link_id) {
  for (json& item : questionnaire["item"]) {
    if (item["linkId"] == link_id) return item;
  }
  FAIL("no item " << link_id);
  throw std::logic_error("unreachable");
}

struct Parsed {
  std::optional<MeasureDefinition> measure;
  std::string problems;
};

Parsed parse(const json& questionnaire) {
  std::vector<std::string> problems;
  Parsed parsed;
  parsed.measure = parse_questionnaire(questionnaire.dump(), "scripts.json", problems);
  parsed.problems = joined(problems);
  return parsed;
}

}  // namespace

TEST_SUITE("verbal_script_loading") {
  TEST_CASE("every shipped measure has an introduction and a script per item in both languages") {
    const MeasureLibrary& library = alliance::testing::shipped_measures();
    REQUIRE(library.measures.size() == 14);
    for (const MeasureDefinition& measure : library.measures) {
      CAPTURE(measure.source_file);
      // Spoken: the 0 to 10 scale is said in words the client hears.
      CHECK(measure.verbal_introduction.find(measure.language == "es" ? "del 0 al 10" : "from 0 to 10") !=
            std::string::npos);
      for (const MeasureItem& item : measure.items) {
        CAPTURE(item.link_id);
        CHECK_FALSE(item.verbal_script.empty());
        CHECK(item.verbal_script != item.text);  // a script of its own, not the form's label
      }
    }
    const MeasureDefinition* ors = library.find("ORS", "en");
    REQUIRE(ors != nullptr);
    CHECK(ors->items[0].verbal_script ==
          "Individually, that is your personal well-being: from 0 to 10, how have you been doing?");
    const MeasureDefinition* spanish = library.find("ORS", "es");
    REQUIRE(spanish != nullptr);
    CHECK(spanish->items[0].verbal_script == "Individualmente, es decir, su bienestar personal: del 0 al 10, ¿cómo le ha ido?");
  }

  TEST_CASE("a Questionnaire without scripts loads with empty ones") {
    json questionnaire = questionnaire_from_folder("srs.json");
    json& items = questionnaire["item"];
    items.erase(items.begin());  // the introduction
    for (json& item : items) item.erase("item");
    const Parsed parsed = parse(questionnaire);
    REQUIRE_MESSAGE(parsed.measure, parsed.problems);
    CHECK(parsed.measure->verbal_introduction.empty());
    REQUIRE(parsed.measure->items.size() == 4);
    for (const MeasureItem& item : parsed.measure->items) CHECK(item.verbal_script.empty());
  }

  TEST_CASE("other display items are allowed and not taken for scripts") {
    json questionnaire = questionnaire_from_folder("ors.json");
    questionnaire["item"].push_back({{"linkId", "ors-note"}, {"type", "display"}, {"text", "Thank you."}});
    top_level_item(questionnaire, "ors-socially")["item"].push_back(
        {{"linkId", "ors-socially-help"}, {"type", "display"}, {"text", "Work, school, friends."}});
    const Parsed parsed = parse(questionnaire);
    REQUIRE_MESSAGE(parsed.measure, parsed.problems);
    CHECK(parsed.measure->items[2].verbal_script ==
          "Socially, that is at work, at school and with your friends: from 0 to 10, how have you been doing?");
    CHECK(parsed.measure->verbal_introduction.rfind("I am going to ask you about four parts of your life.", 0) == 0);
  }

  TEST_CASE("malformed scripts are refused with the file and the item named") {
    struct Row {
      const char* name;
      void (*change)(json& questionnaire);
      const char* problem;
    };
    const Row rows[] = {
        {"introduction without text",
         [](json& questionnaire) { questionnaire["item"][0].erase("text"); },
         "scripts.json: item[0] (ors-verbal-introduction).text: required"},
        {"introduction text not a string",
         [](json& questionnaire) { questionnaire["item"][0]["text"] = 7; },
         "scripts.json: item[0] (ors-verbal-introduction).text: required"},
        {"introduction too long",
         [](json& questionnaire) { questionnaire["item"][0]["text"] = std::string(2001, 'a'); },
         "scripts.json: item[0] (ors-verbal-introduction).text: longer than 2000 bytes"},
        {"introduction not hidden",
         [](json& questionnaire) { questionnaire["item"][0].erase("extension"); },
         "scripts.json: item[0] (ors-verbal-introduction): needs the extension "
         "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"},
        {"introduction hidden false",
         [](json& questionnaire) { questionnaire["item"][0]["extension"][0]["valueBoolean"] = false; },
         "(ors-verbal-introduction): needs the extension"},
        {"a second introduction",
         [](json& questionnaire) {
           questionnaire["item"].push_back({{"linkId", "ors-2-verbal-introduction"}, {"type", "display"},
                                            {"text", "Again."}, {"extension", json::array({kHidden})}});
         },
         "scripts.json: item[8] (ors-2-verbal-introduction): a second verbal introduction"},
        {"script without text",
         [](json& questionnaire) { top_level_item(questionnaire, "ors-overall")["item"][0]["text"] = ""; },
         "scripts.json: item[4] (ors-overall).item[0] (ors-overall-verbal-script).text: required"},
        {"script too long",
         [](json& questionnaire) {
           top_level_item(questionnaire, "ors-overall")["item"][0]["text"] = std::string(2001, 'b');
         },
         "scripts.json: item[4] (ors-overall).item[0] (ors-overall-verbal-script).text: longer than 2000 bytes"},
        {"script not hidden",
         [](json& questionnaire) { top_level_item(questionnaire, "ors-socially")["item"][0]["extension"] = json::array(); },
         "scripts.json: item[3] (ors-socially).item[0] (ors-socially-verbal-script): needs the extension"},
        {"a second script",
         [](json& questionnaire) {
           json& item = top_level_item(questionnaire, "ors-individually");
           item["item"].push_back(item["item"][0]);
         },
         "scripts.json: item[1] (ors-individually).item[1] (ors-individually-verbal-script): a second verbal script"},
        {"a question nested in a scale",
         [](json& questionnaire) {
           top_level_item(questionnaire, "ors-individually")["item"].push_back(
               {{"linkId", "ors-individually-why"}, {"type", "string"}, {"text", "Why?"}});
         },
         "scripts.json: item[1] (ors-individually).item[1]: a scale may nest display items only"},
        {"nested items not a list",
         [](json& questionnaire) { top_level_item(questionnaire, "ors-individually")["item"] = "script"; },
         "scripts.json: item[1] (ors-individually).item: must be a list"},
        {"a script with nested items",
         [](json& questionnaire) {
           json& script = top_level_item(questionnaire, "ors-individually")["item"][0];
           script["item"] = json::array({{{"linkId", "deeper"}, {"type", "display"}, {"text", "x"}}});
         },
         "(ors-individually-verbal-script): a display item cannot have nested items"},
    };
    for (const Row& row : rows) {
      CAPTURE(row.name);
      json questionnaire = questionnaire_from_folder("ors.json");
      row.change(questionnaire);
      const Parsed parsed = parse(questionnaire);
      CHECK_FALSE(parsed.measure.has_value());
      CHECK_MESSAGE(parsed.problems.find(row.problem) != std::string::npos, parsed.problems);
    }
  }

  TEST_CASE("a script of the longest allowed length loads") {
    json questionnaire = questionnaire_from_folder("cors.es.json");
    top_level_item(questionnaire, "cors-family")["item"][0]["text"] = std::string(2000, 'c');
    const Parsed parsed = parse(questionnaire);
    REQUIRE_MESSAGE(parsed.measure, parsed.problems);
    CHECK(parsed.measure->items[1].verbal_script.size() == 2000);
  }
}
