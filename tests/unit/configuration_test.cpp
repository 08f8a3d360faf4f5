#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "configuration/configuration.hpp"
#include "test_support.hpp"

using namespace alliance;

namespace {

const char* const kMinimal = R"({"store": {"path": "state/alliance.db", "key_file": "store.key"},
                                 "measures": {"questionnaire_folder": "/opt/measures"}})";

bool has_problem(const ConfigurationResult& result, const std::string& key, const std::string& reason_part) {
  for (const auto& problem : result.problems) {
    if (problem.key == key && problem.reason.find(reason_part) != std::string::npos) return true;
  }
  return false;
}

// The minimal file with `measures` and `extra` (", ..." top-level members) added.
std::string with_measures(const std::string& measures, const std::string& extra = "") {
  return R"({"store": {"path": "a.db", "key_file": "k"}, "measures": {"questionnaire_folder": "m")" +
         (measures.empty() ? std::string() : ", " + measures) + "}" + extra + "}";
}

std::string with_fhir(const std::string& fhir) {
  return with_measures("", R"(, "fhir": {"base_url": "https://ehr.example.org/fhir/R4")" +
                               (fhir.empty() ? std::string() : ", " + fhir) + "}");
}

std::string with_scoring(const std::string& scoring) { return with_measures("", R"(, "scoring": {)" + scoring + "}"); }

}  // namespace

TEST_SUITE("configuration") {
  TEST_CASE("a minimal file gives the documented defaults") {
    const auto result = parse_configuration(kMinimal, "/etc/alliance/alliance.json");
    REQUIRE(result.configuration);
    CHECK(result.problems.empty());
    const Configuration& configuration = *result.configuration;
    CHECK(configuration.store_path == "/etc/alliance/state/alliance.db");  // relative to the file
    CHECK(configuration.questionnaire_folder == "/opt/measures");            // absolute stays
    CHECK(configuration.scoring.adult_cutoff == 250);
    CHECK(configuration.scoring.adolescent_cutoff == 280);
    CHECK(configuration.scoring.child_cutoff == 320);
    CHECK(configuration.scoring.reliable_change == 50);
    CHECK(configuration.scoring.alliance_cutoff == 360);
    CHECK(configuration.log_level == LogLevel::info);
  }

  TEST_CASE("scoring values are read in points with one decimal") {
    const auto result = parse_configuration(R"({"store": {"path": "a.db", "key_file": "k"}, "measures": {"questionnaire_folder": "m"},
      "scoring": {"ors_clinical_cutoff": {"adult": 24.5, "adolescent": 27}, "reliable_change": 6,
                  "srs_alliance_cutoff": 35.5, "srs_item_cutoff": 8, "srs_alliance_drop": 2},
      "log_level": "debug"})",
                                            "");
    REQUIRE(result.configuration);
    CHECK(result.configuration->scoring.adult_cutoff == 245);
    CHECK(result.configuration->scoring.adolescent_cutoff == 270);
    CHECK(result.configuration->scoring.child_cutoff == 320);
    CHECK(result.configuration->scoring.reliable_change == 60);
    CHECK(result.configuration->scoring.alliance_cutoff == 355);
    CHECK(result.configuration->scoring.item_cutoff == 80);
    CHECK(result.configuration->scoring.alliance_drop == 20);
    CHECK(result.configuration->log_level == LogLevel::debug);
    CHECK(result.configuration->store_path == "a.db");
  }

  TEST_CASE("every problem is reported with its key and reason") {
    const auto result = parse_configuration(R"({"store": {"pth": "a.db"}, "measures": 5,
      "scoring": {"ors_clinical_cutoff": {"adult": 45, "teen": 3}, "reliable_change": "five",
                  "srs_item_cutoff": 8.25},
      "log_level": "loud", "colour": "blue"})",
                                            "");
    CHECK_FALSE(result.configuration);
    CHECK(has_problem(result, "store.pth", "unknown key"));
    CHECK(has_problem(result, "store.path", "required"));
    CHECK(has_problem(result, "measures", "must be an object"));
    CHECK(has_problem(result, "scoring.ors_clinical_cutoff.adult", "from 0.0 to 40.0"));
    CHECK(has_problem(result, "scoring.ors_clinical_cutoff.teen", "unknown key"));
    CHECK(has_problem(result, "scoring.reliable_change", "number"));
    CHECK(has_problem(result, "scoring.srs_item_cutoff", "one decimal"));
    CHECK(has_problem(result, "log_level", "debug, info, warning, error"));
    CHECK(has_problem(result, "colour", "unknown key"));
    CHECK(has_problem(result, "store.key_file", "required"));
    CHECK(result.problems.size() == 10);
    CHECK(describe(result.problems).find("store.path: required") != std::string::npos);
  }

  TEST_CASE("a file that is not JSON says where it breaks") {
    const auto result = parse_configuration("{\n  \"store\": {\"path\": \"a.db\",\n}", "");
    REQUIRE(result.problems.size() == 1);
    CHECK(result.problems.front().key == "(file)");
    CHECK(result.problems.front().reason.find("line 3") != std::string::npos);
  }

  TEST_CASE("comments explain keys in the file and change nothing") {
    const auto result = parse_configuration(R"(// Alliance configuration
{
  /* the store */ "store": {"path": "a.db", // where results wait
                            "key_file": "k"},
  // "fhir": {"base_url": "https://ehr.example.org/fhir/R4"},
  "measures": {"questionnaire_folder": "m"}
})",
                                            "");
    REQUIRE(result.configuration);
    CHECK_FALSE(result.configuration->fhir);  // a commented-out section stays off
    CHECK(result.configuration->store_path == "a.db");
    const auto unterminated = parse_configuration(R"({"store": {} /* never closed)", "");
    REQUIRE(unterminated.problems.size() == 1);
    CHECK(unterminated.problems.front().reason.find("not valid JSON") != std::string::npos);
  }

  TEST_CASE("a number too large for a double is a problem, not an exception") {
    // Found by fuzzing: nlohmann throws out_of_range (not parse_error) for 5e400.
    const auto result = parse_configuration(
        R"({"store": {"path": "a.db", "key_file": "k"}, "measures": {"questionnaire_folder": "m"},
            "scoring": {"reliable_change": 5e400}})",
        "");
    REQUIRE(result.problems.size() == 1);
    CHECK(result.problems.front().key == "(file)");
    CHECK(result.problems.front().reason.find("not valid JSON") != std::string::npos);
  }

  TEST_CASE("an empty path and an empty file and a non-object are refused") {
    CHECK(has_problem(parse_configuration(R"({"store": {"path": "", "key_file": "k"}, "measures": {"questionnaire_folder": "m"}})", ""),
                      "store.path", "non-empty"));
    CHECK_FALSE(parse_configuration("", "").configuration);
    CHECK(has_problem(parse_configuration("[]", ""), "(file)", "object"));
  }

  TEST_CASE("the FHIR connection is optional and read with its defaults") {
    CHECK_FALSE(parse_configuration(kMinimal, "").configuration->fhir.has_value());
    // A CA file that exists (relative paths are taken from the configuration's folder).
    const std::string origin = std::string(ALLIANCE_QUESTIONNAIRE_DIR) + "/alliance.json";
    const auto result = parse_configuration(R"({"store": {"path": "a.db", "key_file": "k"}, "measures": {"questionnaire_folder": "m"},
      "fhir": {"base_url": "https://ehr.example.org/fhir/R4", "ca_file": "ors.json"}})",
                                            origin);
    REQUIRE_MESSAGE(result.configuration, describe(result.problems));
    const FhirConfiguration& fhir = *result.configuration->fhir;
    CHECK(fhir.base_url == "https://ehr.example.org/fhir/R4");
    CHECK(fhir.ca_file == std::string(ALLIANCE_QUESTIONNAIRE_DIR) + "/ors.json");
    CHECK(has_problem(parse_configuration(R"({"store": {"path": "a.db", "key_file": "k"}, "measures": {"questionnaire_folder": "m"},
      "fhir": {"base_url": "https://ehr.example.org/fhir/R4", "ca_file": "certs/missing.pem"}})", "/etc/alliance/alliance.json"),
                      "fhir.ca_file", "cannot be read"));
    CHECK(fhir.identifier_system == "https://fhir.alliance-plugin.org/sid/administration");
    CHECK(fhir.timeout_seconds == 10);
    CHECK(fhir.retry_initial_seconds == 5);
    CHECK(fhir.retry_maximum_seconds == 300);
    CHECK(fhir.store_check_seconds == 60);
  }

  TEST_CASE("a FHIR connection without TLS or with bad values is refused") {
    const auto result = parse_configuration(R"({"store": {"path": "a.db", "key_file": "k"}, "measures": {"questionnaire_folder": "m"},
      "fhir": {"base_url": "http://ehr.example.org/fhir", "identifier_system": "not a uri", "timeout_seconds": 0,
               "retry_initial_seconds": 60, "retry_maximum_seconds": 10, "store_check_seconds": 0,
               "verify_tls": false}})",
                                            "");
    CHECK(has_problem(result, "fhir.base_url", "https://"));
    CHECK(has_problem(result, "fhir.identifier_system", "absolute URI"));
    CHECK(has_problem(result, "fhir.timeout_seconds", "from 1 to 300"));
    CHECK(has_problem(result, "fhir.retry_maximum_seconds", "not be less"));
    CHECK(has_problem(result, "fhir.store_check_seconds", "from 1 to 3600"));
    CHECK(has_problem(result, "fhir.verify_tls", "unknown key"));
    CHECK(has_problem(parse_configuration(R"({"store": {"path": "a", "key_file": "k"}, "measures": {"questionnaire_folder": "m"},
                                             "fhir": {}})", ""),
                      "fhir.base_url", "required"));
  }

  TEST_CASE("a reliable change of zero is refused") {
    CHECK(has_problem(parse_configuration(R"({"store": {"path": "a", "key_file": "k"}, "measures": {"questionnaire_folder": "m"},
                                             "scoring": {"reliable_change": 0}})",
                                          ""),
                      "scoring.reliable_change", "from 0.1"));
  }

  TEST_CASE("the measure settings are read with their defaults") {
    const auto defaults = parse_configuration(kMinimal, "");
    REQUIRE(defaults.configuration);
    const SelectionRules& selection = defaults.configuration->selection;
    CHECK(selection.default_language == "en");
    CHECK(selection.enabled == std::vector<std::string>{"ORS", "SRS", "CORS", "CSRS", "YCORS", "GSRS", "CGSRS"});
    CHECK(selection.other_rater_measure == "ORS");
    CHECK_FALSE(selection.record_not_completed);
    CHECK(defaults.configuration->scoring.child_from_age == 6);
    CHECK(defaults.configuration->scoring.adolescent_from_age == 13);
    CHECK(defaults.configuration->scoring.adult_from_age == 18);
    CHECK(defaults.configuration->expected_response_file.empty());

    const auto result = parse_configuration(
        with_measures(R"("default_language": "es", "enabled": ["ORS", "SRS", "GSRS"],
                         "other_rater_measure": "", "record_not_completed": true)",
                      R"(, "scoring": {"age_bands": {"child_from": 5, "adolescent_from": 12, "adult_from": 19}})"),
        "");
    REQUIRE_MESSAGE(result.configuration, describe(result.problems));
    const SelectionRules& set = result.configuration->selection;
    CHECK(set.default_language == "es");
    CHECK(set.enabled == std::vector<std::string>{"ORS", "SRS", "GSRS"});
    CHECK(set.other_rater_measure.empty());
    CHECK(set.record_not_completed);
    CHECK(result.configuration->scoring.child_from_age == 5);
    CHECK(result.configuration->scoring.adolescent_from_age == 12);
    CHECK(result.configuration->scoring.adult_from_age == 19);

    const auto child_rater = parse_configuration(with_measures(R"("other_rater_measure": "CORS")"), "");
    REQUIRE(child_rater.configuration);
    CHECK(child_rater.configuration->selection.other_rater_measure == "CORS");
    const auto none_enabled = parse_configuration(with_measures(R"("enabled": [])"), "");
    REQUIRE(none_enabled.configuration);
    CHECK(none_enabled.configuration->selection.enabled.empty());
  }

  TEST_CASE("bad measure and scoring settings are reported with their key") {
    struct Row {
      std::string text;
      const char* key;
      const char* reason_part;
    };
    const Row rows[] = {
        {with_measures(R"("default_language": "")"), "measures.default_language", "non-empty text"},
        {with_measures(R"("default_language": 7)"), "measures.default_language", "non-empty text"},
        {with_measures(R"("enabled": ["ORS", "XYZ"])"), "measures.enabled", "XYZ"},
        {with_measures(R"("enabled": ["ors"])"), "measures.enabled", "unknown measure"},
        {with_measures(R"("enabled": [3])"), "measures.enabled", "unknown measure"},
        {with_measures(R"("enabled": "ORS")"), "measures.enabled", "must be a list"},
        {with_measures(R"("other_rater_measure": "SRS")"), "measures.other_rater_measure", "ORS, CORS or YCORS"},
        {with_measures(R"("other_rater_measure": "GSRS")"), "measures.other_rater_measure", "ORS, CORS or YCORS"},
        {with_measures(R"("other_rater_measure": "XYZ")"), "measures.other_rater_measure", "ORS, CORS or YCORS"},
        {with_measures(R"("other_rater_measure": false)"), "measures.other_rater_measure", "ORS, CORS or YCORS"},
        {with_measures(R"("record_not_completed": "yes")"), "measures.record_not_completed", "true or false"},
        {with_measures(R"("record_not_completed": 1)"), "measures.record_not_completed", "true or false"},
        {with_measures(R"("languages": ["en"])"), "measures.languages", "unknown key"},
        {with_scoring(R"("age_bands": {"child_from": 10, "adolescent_from": 8, "adult_from": 18})"),
         "scoring.age_bands", "must rise"},
        {with_scoring(R"("age_bands": {"adolescent_from": 18})"), "scoring.age_bands", "must rise"},
        {with_scoring(R"("age_bands": {"child_from": 13})"), "scoring.age_bands", "must rise"},
        {with_scoring(R"("age_bands": {"adult_from": 31})"), "scoring.age_bands.adult_from", "from 1 to 30"},
        {with_scoring(R"("age_bands": {"child_from": 0})"), "scoring.age_bands.child_from", "from 1 to 30"},
        {with_scoring(R"("age_bands": {"adolescent_from": 13.5})"), "scoring.age_bands.adolescent_from",
         "from 1 to 30"},
        {with_scoring(R"("age_bands": {"teen_from": 13})"), "scoring.age_bands.teen_from", "unknown key"},
        {with_scoring(R"("age_bands": [6, 13, 18])"), "scoring.age_bands", "must be an object"},
        {with_scoring(R"("expected_treatment_response_file": "/nonexistent/alliance/etr.json")"),
         "scoring.expected_treatment_response_file", "cannot be read"},
        {with_scoring(R"("expected_treatment_response_file": "")"), "scoring.expected_treatment_response_file",
         "non-empty text"},
    };
    for (const Row& row : rows) {
      CAPTURE(row.text);
      const auto result = parse_configuration(row.text, "/etc/alliance/alliance.json");
      CHECK_FALSE(result.configuration);
      CHECK_MESSAGE(has_problem(result, row.key, row.reason_part), describe(result.problems));
    }
  }

  TEST_CASE("a readable expected-treatment-response file is taken from the configuration's folder") {
    const std::string origin = std::string(ALLIANCE_QUESTIONNAIRE_DIR) + "/alliance.json";
    const auto result =
        parse_configuration(with_scoring(R"("expected_treatment_response_file": "ors.json")"), origin);
    REQUIRE_MESSAGE(result.configuration, describe(result.problems));
    CHECK(result.configuration->expected_response_file == std::string(ALLIANCE_QUESTIONNAIRE_DIR) + "/ors.json");
  }

  TEST_CASE("the FHIR switches are read with their defaults and bad values are reported") {
    const auto defaults = parse_configuration(with_fhir(""), "");
    REQUIRE_MESSAGE(defaults.configuration, describe(defaults.problems));
    const FhirConfiguration& fhir = *defaults.configuration->fhir;
    CHECK(fhir.ensure_questionnaires);
    CHECK(fhir.questionnaire_reference == "canonical");
    CHECK_FALSE(fhir.item_observations);
    CHECK_FALSE(fhir.read_history);

    const auto set = parse_configuration(with_fhir(R"("ensure_questionnaires": true, "item_observations": true,
        "read_history": true, "questionnaire_reference": "server_id")"),
                                         "");
    REQUIRE_MESSAGE(set.configuration, describe(set.problems));
    CHECK(set.configuration->fhir->item_observations);
    CHECK(set.configuration->fhir->read_history);
    CHECK(set.configuration->fhir->questionnaire_reference == "server_id");
    const auto off = parse_configuration(with_fhir(R"("ensure_questionnaires": false)"), "");
    REQUIRE_MESSAGE(off.configuration, describe(off.problems));
    CHECK_FALSE(off.configuration->fhir->ensure_questionnaires);
    // The token request names its scopes unless told not to.
    CHECK(SmartConfiguration{}.send_scope);

    struct Row {
      std::string fhir;
      const char* key;
      const char* reason_part;
    };
    const Row rows[] = {
        {R"("ensure_questionnaires": "yes")", "fhir.ensure_questionnaires", "true or false"},
        {R"("item_observations": 1)", "fhir.item_observations", "true or false"},
        {R"("read_history": null)", "fhir.read_history", "true or false"},
        {R"("questionnaire_reference": "other")", "fhir.questionnaire_reference", "\"canonical\""},
        {R"("questionnaire_reference": 5)", "fhir.questionnaire_reference", "non-empty text"},
        {R"("questionnaire_reference": "server_id", "ensure_questionnaires": false)", "fhir.questionnaire_reference",
         "needs fhir.ensure_questionnaires"},
        {R"("smart": {"client_id": "c", "private_key_file": "k", "key_id": "k", "send_scope": "no"})",
         "fhir.smart.send_scope", "true or false"},
    };
    for (const Row& row : rows) {
      CAPTURE(row.fhir);
      const auto result = parse_configuration(with_fhir(row.fhir), "");
      CHECK_FALSE(result.configuration);
      CHECK_MESSAGE(has_problem(result, row.key, row.reason_part), describe(result.problems));
    }
  }

  TEST_CASE("the default SMART scopes follow the settings and explicit scopes are kept") {
    struct Row {
      bool ensure_questionnaires;
      bool read_history;
      const char* scopes;
    };
    const Row rows[] = {
        {true, false, "system/QuestionnaireResponse.c system/Observation.c system/Questionnaire.crs"},
        {false, false, "system/QuestionnaireResponse.c system/Observation.c"},
        {true, true,
         "system/QuestionnaireResponse.c system/Observation.c system/Questionnaire.crs system/Observation.rs"},
        {false, true, "system/QuestionnaireResponse.c system/Observation.c system/Observation.rs"},
    };
    // A private key file that exists: the shipped ORS stands in (only readability is checked here).
    const std::string origin = std::string(ALLIANCE_QUESTIONNAIRE_DIR) + "/alliance.json";
    for (const Row& row : rows) {
      CAPTURE(row.ensure_questionnaires);
      CAPTURE(row.read_history);
      FhirConfiguration settings;
      settings.ensure_questionnaires = row.ensure_questionnaires;
      settings.read_history = row.read_history;
      CHECK(default_scopes_for(settings) == row.scopes);

      const std::string switches = std::string(R"("ensure_questionnaires": )") +
                                   (row.ensure_questionnaires ? "true" : "false") + R"(, "read_history": )" +
                                   (row.read_history ? "true" : "false");
      const auto defaulted = parse_configuration(
          with_fhir(switches + R"(, "smart": {"client_id": "alliance", "private_key_file": "ors.json",
                                              "key_id": "k1"})"),
          origin);
      REQUIRE_MESSAGE(defaulted.configuration, describe(defaulted.problems));
      CHECK(defaulted.configuration->fhir->smart->scopes == row.scopes);
      CHECK_FALSE(defaulted.configuration->fhir->smart->scopes_given);

      const auto explicit_scopes = parse_configuration(
          with_fhir(switches + R"(, "smart": {"client_id": "alliance", "private_key_file": "ors.json",
                                              "key_id": "k1", "scopes": "system/*.cruds"})"),
          origin);
      REQUIRE_MESSAGE(explicit_scopes.configuration, describe(explicit_scopes.problems));
      CHECK(explicit_scopes.configuration->fhir->smart->scopes == "system/*.cruds");
      CHECK(explicit_scopes.configuration->fhir->smart->scopes_given);
    }
  }

  TEST_CASE("chart profiles are read with their settings, fhir-native by default") {
    const auto defaults = parse_configuration(with_fhir(""), "");
    REQUIRE_MESSAGE(defaults.configuration, describe(defaults.problems));
    const fhir::ChartProfiles& native = defaults.configuration->fhir->chart;
    CHECK(native.fhir_native);
    CHECK_FALSE(native.flowsheet);
    CHECK_FALSE(native.document);
    CHECK(defaults.configuration->fhir->conditional_creates);

    const auto epic = parse_configuration(with_fhir(R"("conditional_creates": false, "transactions": false,
        "chart": {"profiles": ["flowsheet", "document"], "find_by": "reading",
          "flowsheet": {"rows": {
            "ORS": {"total": {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679", "code": "30401", "display": "ORS"},
                    "items": [{"system": "urn:oid:1.2", "code": "1"}, {"system": "urn:oid:1.2", "code": "2"},
                              {"system": "urn:oid:1.2", "code": "3"}, {"system": "urn:oid:1.2", "code": "4"}]},
            "SRS": {"total": {"system": "urn:oid:1.2", "code": "30411"}}}},
          "document": {"type": {"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"},
                       "doc_status": "final", "formats": ["application/pdf", "text/plain"]}})"),
                                          "");
    REQUIRE_MESSAGE(epic.configuration, describe(epic.problems));
    const FhirConfiguration& fhir = *epic.configuration->fhir;
    CHECK_FALSE(fhir.chart.fhir_native);
    CHECK(fhir.chart.flowsheet);
    CHECK(fhir.chart.document);
    CHECK(fhir.chart.find_by_reading);
    CHECK_FALSE(fhir.conditional_creates);
    CHECK(fhir.chart.flowsheet_rows.at("ORS").total.code == "30401");
    CHECK(fhir.chart.flowsheet_rows.at("ORS").items.size() == 4);
    CHECK(fhir.chart.flowsheet_rows.at("SRS").items.empty());
    CHECK(fhir.chart.flowsheet_category.code == "vital-signs");
    CHECK(fhir.chart.document_type.code == "11506-3");
    CHECK(fhir.chart.document_status == "final");
    CHECK(fhir.chart.document_text);
    CHECK(fhir.chart.document_pdf);
    // The scopes follow the profiles: no QuestionnaireResponse, searches before writes.
    FhirConfiguration scopes = fhir;
    scopes.read_history = false;
    CHECK(default_scopes_for(scopes) == "system/Observation.cs system/DocumentReference.cs");

    struct Row {
      std::string fhir;
      const char* key;
      const char* reason_part;
    };
    const std::string rows = R"("flowsheet": {"rows": {"ORS": {"total": {"system": "urn:oid:1.2", "code": "1"}}}})";
    const std::string type = R"("document": {"type": {"system": "http://loinc.org", "code": "11506-3"}})";
    const Row problems[] = {
        {R"("conditional_creates": "no")", "fhir.conditional_creates", "true or false"},
        {R"("conditional_creates": false)", "fhir.conditional_creates", "needs fhir.transactions false"},
        {R"("chart": {"profiles": []})", "fhir.chart.profiles", "one or more"},
        {R"("chart": {"profiles": ["flowsheet", "flowsheet"], )" + rows + "}", "fhir.chart.profiles", "each once"},
        {R"("chart": {"profiles": ["epic"]})", "fhir.chart.profiles", "\"flowsheet\""},
        {R"("chart": {"find_by": "magic"})", "fhir.chart.find_by", "\"reading\""},
        {R"("chart": {"colour": "red"})", "fhir.chart.colour", "unknown key"},
        // A flowsheet profile with no codes.
        {R"("chart": {"profiles": ["flowsheet"]})", "fhir.chart.flowsheet", "required"},
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {}})", "fhir.chart.flowsheet.rows", "required"},
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {"rows": {}}})", "fhir.chart.flowsheet.rows",
         "names no measure"},
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {"rows": {"PHQ9": {}}}})",
         "fhir.chart.flowsheet.rows.PHQ9", "is not a measure"},
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {"rows": {"ORS": {"items": []}}}})",
         "fhir.chart.flowsheet.rows.ORS.total", "required"},
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {"rows": {"ORS": {"total": {"code": "1"}}}}})",
         "fhir.chart.flowsheet.rows.ORS.total.system", "required"},
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {"rows": {"ORS": {"total": {"system": "loinc", "code": "1"}}}}})",
         "fhir.chart.flowsheet.rows.ORS.total.system", "absolute URI"},
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {"rows": {"ORS": {"total": {"system": "urn:oid:1.2", "code": "1", "unit": "x"}}}}})",
         "fhir.chart.flowsheet.rows.ORS.total.unit", "unknown key"},
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {"rows": {"ORS": {"total": {"system": "urn:oid:1.2", "code": "1"}, "items": [{"system": "urn:oid:1.2", "code": "2"}]}}}})",
         "fhir.chart.flowsheet.rows.ORS.items", "four codings"},
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {"category": "vital-signs", "rows": {"ORS": {"total": {"system": "urn:oid:1.2", "code": "1"}}}}})",
         "fhir.chart.flowsheet.category", "must be an object"},
        // A document profile with no document type.
        {R"("chart": {"profiles": ["flowsheet"], "flowsheet": {"performer": "nurse", "rows": {"ORS": {"total": {"system": "urn:oid:1.2", "code": "1"}}}}})",
         "fhir.chart.flowsheet.performer", "\"clinician\""},
        {R"("chart": {"profiles": ["document"]})", "fhir.chart.document", "required"},
        {R"("chart": {"profiles": ["document"], "document": {"doc_status": "final"}})", "fhir.chart.document.type",
         "required by the document profile"},
        {R"("chart": {"profiles": ["document"], "document": {"type": {"system": "http://loinc.org", "code": "11506-3"}, "doc_status": "draft"}})",
         "fhir.chart.document.doc_status", "\"preliminary\""},
        {R"("chart": {"profiles": ["document"], "document": {"type": {"system": "http://loinc.org", "code": "11506-3"}, "formats": ["text/html"]}})",
         "fhir.chart.document.formats", "\"application/pdf\""},
        {R"("chart": {"profiles": ["document"], "document": {"type": {"system": "http://loinc.org", "code": "11506-3"}, "formats": []}})",
         "fhir.chart.document.formats", "\"text/plain\""},
    };
    for (const Row& row : problems) {
      CAPTURE(row.fhir);
      const auto result = parse_configuration(with_fhir(row.fhir), "");
      CHECK_FALSE(result.configuration);
      CHECK_MESSAGE(has_problem(result, row.key, row.reason_part), describe(result.problems));
    }
    // Settings of a profile that is not chosen are checked too, but not required.
    const auto spare = parse_configuration(with_fhir(R"("chart": {)" + rows + ", " + type + "}"), "");
    REQUIRE_MESSAGE(spare.configuration, describe(spare.problems));
    CHECK(spare.configuration->fhir->chart.fhir_native);
  }

  TEST_CASE("a client secret file replaces the private key and is checked like every secret file") {
    testing::TemporaryFolder folder;
    const auto secret = folder.path() / "client.secret";
    testing::write_file(secret, "p@ss:word\n");
    ::chmod(secret.c_str(), 0600);
    const auto configuration = [&](const std::string& extra) {
      return parse_configuration(with_fhir(R"("smart": {"client_id": "alliance", "client_secret_file": ")" +
                                           secret.string() + "\"" + extra + "}"),
                                 "");
    };
    const auto good = configuration("");
    REQUIRE_MESSAGE(good.configuration, describe(good.problems));
    CHECK(good.configuration->fhir->smart->client_secret == "p@ss:word");
    CHECK(good.configuration->fhir->smart->private_key_file.empty());

    CHECK(has_problem(configuration(R"(, "key_id": "k1")"), "fhir.smart.client_secret_file", "not both"));
    ::chmod(secret.c_str(), 0644);
    CHECK(has_problem(configuration(""), "fhir.smart.client_secret_file", "chmod 600 " + secret.string()));
    ::chmod(secret.c_str(), 0600);
    std::filesystem::create_symlink(secret, folder.path() / "link.secret");
    CHECK(has_problem(parse_configuration(with_fhir(R"("smart": {"client_id": "a", "client_secret_file": ")" +
                                                    (folder.path() / "link.secret").string() + "\"}"),
                                          ""),
                      "fhir.smart.client_secret_file", "symbolic link"));
    testing::write_file(secret, "\n");
    CHECK(has_problem(configuration(""), "fhir.smart.client_secret_file", "is empty"));
    // Without a secret, the key is required as before.
    CHECK(has_problem(parse_configuration(with_fhir(R"("smart": {"client_id": "a"})"), ""),
                      "fhir.smart.private_key_file", "required"));
  }

  TEST_CASE("secret files behind a symbolic link or readable by others are refused naming the setting") {
    testing::TemporaryFolder folder;
    const auto secret = [&](const std::string& name, const std::string& text) {
      const auto path = folder.path() / name;
      testing::write_file(path, text);
      ::chmod(path.c_str(), 0600);
      std::filesystem::create_symlink(path, folder.path() / ("link-" + name));
      return path;
    };
    const auto password = secret("proxy.password", "s3cret\n");
    const auto key = secret("client.key", "-----BEGIN PRIVATE KEY-----\n");
    const auto certificate = folder.path() / "client.pem";
    testing::write_file(certificate, "-----BEGIN CERTIFICATE-----\n");
    const auto configuration = [&](const std::string& password_name, const std::string& key_name) {
      return parse_configuration(
          with_fhir(R"("proxy": {"url": "http://proxy.example.org:3128", "password_file": ")" +
                    (folder.path() / password_name).string() + R"("}, "client_certificate_file": ")" +
                    certificate.string() + R"(", "client_key_file": ")" + (folder.path() / key_name).string() + "\""),
          "");
    };
    const ConfigurationResult good = configuration("proxy.password", "client.key");
    REQUIRE_MESSAGE(good.configuration, describe(good.problems));
    CHECK(good.configuration->fhir->proxy_password == "s3cret");

    const ConfigurationResult linked = configuration("link-proxy.password", "link-client.key");
    CHECK(has_problem(linked, "fhir.proxy.password_file", "symbolic link"));
    CHECK(has_problem(linked, "fhir.client_key_file", "symbolic link"));

    ::chmod(password.c_str(), 0640);
    ::chmod(key.c_str(), 0604);
    const ConfigurationResult shared = configuration("proxy.password", "client.key");
    CHECK(has_problem(shared, "fhir.proxy.password_file", "chmod 600 " + password.string()));
    CHECK(has_problem(shared, "fhir.client_key_file", "chmod 600 " + key.string()));

    if (::geteuid() == 0) {  // only root can give a file away
      ::chmod(password.c_str(), 0600);
      ::chmod(key.c_str(), 0600);
      REQUIRE(::chown(password.c_str(), 65534, 65534) == 0);
      REQUIRE(::chown(key.c_str(), 65534, 65534) == 0);
      const ConfigurationResult foreign = configuration("proxy.password", "client.key");
      CHECK(has_problem(foreign, "fhir.proxy.password_file", "chown"));
      CHECK(has_problem(foreign, "fhir.client_key_file", "chown"));
    }
  }

  TEST_CASE("a key given twice is refused, naming the key") {
    // Which of the two a reader keeps is not the same everywhere (a person reading the
    // file sees the first, nlohmann keeps the last).
    const auto result = parse_configuration(R"({"store": {"path": "a.db", "key_file": "k", "path": "b.db"},
                                                "measures": {"questionnaire_folder": "m"}})",
                                            "");
    CHECK_FALSE(result.configuration);
    CHECK(has_problem(result, "(file)", "\"path\" appears twice"));
  }

  TEST_CASE("a file with a NUL byte and more text after it is refused") {
    const std::string text = std::string(kMinimal) + std::string(1, '\0') + R"({"log_level": "debug"})";
    const auto result = parse_configuration(text, "");
    CHECK_FALSE(result.configuration);
    CHECK(has_problem(result, "(file)", "NUL"));
  }

  TEST_CASE("a file nested deeper than any configuration is refused at once") {
    const std::string text = std::string(100000, '[') + std::string(100000, ']');
    const auto result = parse_configuration(text, "");
    CHECK_FALSE(result.configuration);
    CHECK(has_problem(result, "(file)", "nested deeper"));
  }
}
