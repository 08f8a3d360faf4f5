#include <doctest/doctest.h>
#include <set>

#include "mapping/chart_bundle.hpp"
#include "mapping/resource_parts.hpp"
#include "mapping/transaction_response.hpp"
#include "mapping_test_data.hpp"

using namespace alliance;
using namespace alliance::mapping_test_data;
using alliance::fhir::chart_bundle;
using alliance::fhir::MappingSettings;
using alliance::fhir::NoteAttachment;
using nlohmann::json;

namespace {

// An Epic-style clinic: flowsheet rows for the ORS (total and items) and the SRS
// (total only), found again by reading, and a text note for the clinician to sign.
MappingSettings flowsheet_and_note() {
  MappingSettings settings;
  settings.chart.fhir_native = false;
  settings.chart.flowsheet = true;
  settings.chart.document = true;
  settings.chart.find_by_reading = true;
  const std::string rows = "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679";
  settings.chart.flowsheet_rows["ORS"] = {{rows, "30401", "ORS total"},
                                          {{rows, "30402", "ORS individually"},
                                           {rows, "30403", "ORS interpersonally"},
                                           {rows, "30404", "ORS socially"},
                                           {rows, "30405", "ORS overall"}}};
  settings.chart.flowsheet_rows["SRS"] = {{rows, "30411", "SRS total"}, {}};
  settings.chart.document_type = {"http://loinc.org", "11506-3", "Progress note"};
  return settings;
}

std::vector<NoteAttachment> text_note() { return {{"text/plain; charset=utf-8", "en", "", "ORS 27.3 of 40\n"}}; }

std::vector<std::string> types_of(const json& bundle) {
  std::vector<std::string> types;
  for (const json& entry : bundle["entry"]) types.push_back(entry["request"]["url"]);
  return types;
}

}  // namespace

TEST_CASE("the flowsheet and document profiles write rows and a note, no QuestionnaireResponse") {
  const Administration input = administration(measures().outcome(), {52, 61, 47, 55}, 34);
  const auto result = chart_bundle(input, measures().outcome(), flowsheet_and_note(), text_note());
  REQUIRE(result.error.empty());
  CHECK(types_of(result.bundle) == std::vector<std::string>{"Observation", "Observation", "Observation", "Observation",
                                                            "Observation", "DocumentReference"});
  check_golden("chart_flowsheet_and_note", result.bundle);

  const json total = result.bundle["entry"][0];
  CHECK(total["resource"]["category"][0]["coding"][0]["code"] == "vital-signs");
  CHECK(total["resource"]["code"]["coding"][0]["code"] == "30401");
  CHECK(total["resource"]["valueQuantity"]["value"] == 21.5);
  CHECK(total["resource"]["encounter"]["reference"] == "Encounter/enc-1101");
  CHECK_FALSE(total["resource"].contains("derivedFrom"));
  // Found again by subject, row and time, since Epic does not search flowsheet identifiers.
  CHECK(total["request"]["ifNoneExist"] ==
        "patient=Patient/pat-alex&code=urn:oid:1.2.840.114350.1.13.0.1.7.2.707679|30401&date=2026-11-02T15:04:05.123Z");
  CHECK(result.bundle["entry"][4]["resource"]["valueQuantity"]["value"] == 5.5);

  const json document = result.bundle["entry"][5]["resource"];
  CHECK(document["docStatus"] == "preliminary");
  CHECK(document["content"][0]["attachment"]["data"] == "T1JTIDI3LjMgb2YgNDAK");  // base64 of the note
  CHECK(document["context"]["encounter"][0]["reference"] == "Encounter/enc-1101");
  CHECK(result.bundle["entry"][5]["request"]["ifNoneExist"] ==
        "patient=Patient/pat-alex&type=http://loinc.org|11506-3&date=2026-11-02T15:04:05.123Z");
}

TEST_CASE("rows name the rater as performer, or the session's clinician where the EHR takes only a Practitioner") {
  const Administration input = administration(measures().outcome(), {52, 61, 47, 55}, 34);
  MappingSettings settings = flowsheet_and_note();
  CHECK(chart_bundle(input, measures().outcome(), settings, text_note()).bundle["entry"][0]["resource"]["performer"][0]
            ["reference"] == "Patient/pat-alex");
  settings.chart.flowsheet_performer_clinician = true;
  const json bundle = chart_bundle(input, measures().outcome(), settings, text_note()).bundle;
  for (size_t index = 0; index < 5; ++index) {
    CHECK(bundle["entry"][index]["resource"]["performer"][0]["reference"] == "Practitioner/pr-kim");
  }
  // The document's period is closed: the moment of rating.
  CHECK(bundle["entry"][5]["resource"]["context"]["period"]["end"] == "2026-11-02T15:04:05.123Z");
}

TEST_CASE("found by identifier, the profiles' identifiers differ from the fhir-native ones") {
  MappingSettings settings = flowsheet_and_note();
  settings.chart.fhir_native = true;
  settings.chart.find_by_reading = false;
  const Administration input = administration(measures().session_rating(), {90, 85, 88, 92}, 34);
  const auto result = chart_bundle(input, measures().session_rating(), settings, text_note());
  REQUIRE(result.error.empty());
  CHECK(types_of(result.bundle) ==
        std::vector<std::string>{"QuestionnaireResponse", "Observation", "Observation", "DocumentReference"});
  std::set<std::string> searches;
  for (const json& entry : result.bundle["entry"]) searches.insert(entry["request"]["ifNoneExist"].get<std::string>());
  CHECK(searches.size() == 4);
  CHECK(searches.count("identifier=https://fhir.alliance-plugin.org/sid/administration|" + input.administration_id +
                       "-row-total") == 1);
  CHECK(searches.count("identifier=https://fhir.alliance-plugin.org/sid/administration|" + input.administration_id +
                       "-note") == 1);
}

TEST_CASE("a stopped administration writes no rows; its note still goes") {
  Administration input = administration(measures().outcome(), {52, 61, 47, 55}, 34);
  input.status = "stopped";
  input.not_completed_reason = "declined";
  input.scored = ScoredMeasure{};
  const auto result = chart_bundle(input, measures().outcome(), flowsheet_and_note(), text_note());
  REQUIRE(result.error.empty());
  CHECK(types_of(result.bundle) == std::vector<std::string>{"DocumentReference"});
  CHECK(result.bundle["entry"][0]["resource"]["description"] == "Outcome Rating Scale (ORS), not completed");

  MappingSettings rows_only = flowsheet_and_note();
  rows_only.chart.document = false;
  const auto nothing = chart_bundle(input, measures().outcome(), rows_only, {});
  REQUIRE(nothing.error.empty());
  CHECK(nothing.bundle["entry"].empty());
}

TEST_CASE("what the profiles cannot write is an error that says what to configure") {
  MappingSettings rows_only = flowsheet_and_note();
  rows_only.chart.document = false;
  const Administration child = administration(installed("CORS"), {52, 61, 47, 55}, 9);
  CHECK(chart_bundle(child, installed("CORS"), rows_only, {}).error ==
        "no flowsheet row for CORS: add fhir.chart.flowsheet.rows.CORS");
  // With a note, the note carries a measure that has no rows.
  const auto with_note = chart_bundle(child, installed("CORS"), flowsheet_and_note(), text_note());
  REQUIRE(with_note.error.empty());
  CHECK(types_of(with_note.bundle) == std::vector<std::string>{"DocumentReference"});
  CHECK(chart_bundle(child, installed("CORS"), flowsheet_and_note(), {}).error ==
        "the document profile has no note to write");

  Administration anonymous = administration(measures().outcome(), {52, 61, 47, 55}, 34);
  anonymous.patient_reference.clear();
  CHECK(chart_bundle(anonymous, measures().outcome(), rows_only, {}).error.starts_with("no Patient reference"));
}

TEST_CASE("attachment data is standard padded base64") {
  CHECK(fhir::attachment_data("") == "");
  CHECK(fhir::attachment_data("f") == "Zg==");
  CHECK(fhir::attachment_data("fo") == "Zm8=");
  CHECK(fhir::attachment_data("foo") == "Zm9v");
  CHECK(fhir::attachment_data(std::string("\xff\xfe\x00", 3)) == "//4A");
  CHECK(fhir::attachment_data("Relación") == "UmVsYWNpw7Nu");
}

TEST_CASE("a searchset's matches, and the answers that say a write is already there") {
  using fhir::read_search_matches;
  const auto two = read_search_matches(
      R"({"resourceType":"Bundle","type":"searchset","entry":[
          {"resource":{"resourceType":"Observation","id":"a1"},"search":{"mode":"match"}},
          {"resource":{"resourceType":"Patient","id":"p"},"search":{"mode":"include"}},
          {"resource":{"resourceType":"OperationOutcome","id":"o"},"search":{"mode":"outcome"}},
          {"resource":{"resourceType":"Observation","id":"b2"}}]})",
      "Observation");
  CHECK(two.error.empty());
  CHECK(two.ids == std::vector<std::string>{"a1", "b2"});
  CHECK(read_search_matches(R"({"resourceType":"Bundle","type":"searchset","total":0})", "Observation").ids.empty());
  CHECK_FALSE(read_search_matches(R"({"resourceType":"Bundle","type":"batch-response"})", "Observation").error.empty());
  CHECK_FALSE(read_search_matches(R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":
      {"resourceType":"Observation","id":"has space"}}]})", "Observation").error.empty());
  CHECK_FALSE(read_search_matches(R"({"resourceType":"Bundle","type":"searchset","type":"searchset"})", "Observation")
                  .error.empty());  // a key twice

  const std::string duplicate =
      R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"duplicate","diagnostics":"exists"}]})";
  const std::string invalid =
      R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid"}]})";
  CHECK(fhir::says_already_exists(400, duplicate));
  CHECK(fhir::says_already_exists(422, duplicate));
  CHECK(fhir::says_already_exists(409, invalid));
  CHECK_FALSE(fhir::says_already_exists(400, invalid));
  CHECK_FALSE(fhir::says_already_exists(500, duplicate));
  CHECK_FALSE(fhir::says_already_exists(409, "<html>conflict</html>"));
}
