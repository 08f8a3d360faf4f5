#include <doctest/doctest.h>

#include "configuration.hpp"

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
  }

  TEST_CASE("a FHIR connection without TLS or with bad values is refused") {
    const auto result = parse_configuration(R"({"store": {"path": "a.db", "key_file": "k"}, "measures": {"questionnaire_folder": "m"},
      "fhir": {"base_url": "http://ehr.example.org/fhir", "identifier_system": "not a uri", "timeout_seconds": 0,
               "retry_initial_seconds": 60, "retry_maximum_seconds": 10, "verify_tls": false}})",
                                            "");
    CHECK(has_problem(result, "fhir.base_url", "https://"));
    CHECK(has_problem(result, "fhir.identifier_system", "absolute URI"));
    CHECK(has_problem(result, "fhir.timeout_seconds", "from 1 to 300"));
    CHECK(has_problem(result, "fhir.retry_maximum_seconds", "not be less"));
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
}
