// What alliancectl reads from a CapabilityStatement and what it asks for.
#include <doctest/doctest.h>

#include <algorithm>

#include "alliancectl/capability_report.hpp"

using namespace alliance::control;

namespace {

const char* kFullStatement = R"({
  "resourceType": "CapabilityStatement", "fhirVersion": "4.0.1",
  "rest": [{"mode": "server", "interaction": [{"code": "transaction"}],
            "resource": [
              {"type": "QuestionnaireResponse", "interaction": [{"code": "create"}], "conditionalCreate": true},
              {"type": "Observation", "interaction": [{"code": "create"}, {"code": "search-type"}], "conditionalCreate": true},
              {"type": "Questionnaire", "interaction": [{"code": "create"}], "conditionalCreate": true}]}]})";

bool mentions(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) { return line.find(part) != std::string::npos; });
}

}  // namespace

TEST_SUITE("alliancectl") {
  TEST_CASE("a statement with transaction and conditional creates meets the default settings") {
    const CapabilityReport report = read_capability_statement(kFullStatement);
    CHECK(report.error.empty());
    CHECK(report.fhir_version == "4.0.1");
    CHECK(report.transaction);
    CHECK(missing_capabilities(report, alliance::FhirConfiguration{}).empty());
  }

  TEST_CASE("a server without transaction support is told to use fhir.transactions false") {
    std::string text = kFullStatement;
    text.replace(text.find("transaction"), std::string("transaction").size(), "batch");
    const CapabilityReport report = read_capability_statement(text);
    CHECK_FALSE(report.transaction);
    CHECK(mentions(missing_capabilities(report, alliance::FhirConfiguration{}), "fhir.transactions"));
    alliance::FhirConfiguration one_by_one;
    one_by_one.transactions = false;
    CHECK(missing_capabilities(report, one_by_one).empty());
  }

  TEST_CASE("a resource without conditional create is named") {
    std::string text = kFullStatement;
    text.replace(text.find("\"conditionalCreate\": true"), std::string("\"conditionalCreate\": true").size(),
                 "\"conditionalCreate\": false");
    const auto missing = missing_capabilities(read_capability_statement(text), alliance::FhirConfiguration{});
    REQUIRE(missing.size() == 1);
    CHECK(mentions(missing, "conditional create for QuestionnaireResponse"));
  }

  TEST_CASE("an EHR that takes no QuestionnaireResponse is told which profiles fit") {
    // Like Epic's (emulated): Observation and DocumentReference create and search, no
    // QuestionnaireResponse create, no transactions, no conditional creates.
    const CapabilityReport report = read_capability_statement(R"({
      "resourceType": "CapabilityStatement", "fhirVersion": "4.0.1",
      "rest": [{"mode": "server", "resource": [
        {"type": "QuestionnaireResponse", "interaction": [{"code": "read"}]},
        {"type": "Observation", "interaction": [{"code": "create"}, {"code": "search-type"}], "conditionalCreate": false},
        {"type": "DocumentReference", "interaction": [{"code": "create"}, {"code": "search-type"}]}]}]})");
    REQUIRE(report.error.empty());
    CHECK(fitting_profiles(report) == std::vector<std::string>{"flowsheet", "document"});
    const auto native = missing_capabilities(report, alliance::FhirConfiguration{});
    CHECK(mentions(native, "this server accepts no QuestionnaireResponse create"));
    CHECK(mentions(native, "choose the profiles this server takes in fhir.chart.profiles (flowsheet, document)"));
    CHECK(mentions(native, "fhir.transactions"));

    alliance::FhirConfiguration epic;
    epic.transactions = false;
    epic.chart.fhir_native = false;
    epic.chart.flowsheet = true;
    epic.chart.document = true;
    // Conditional creates on: the server has none, so the switch is named.
    CHECK(mentions(missing_capabilities(report, epic), "set fhir.conditional_creates to false"));
    epic.conditional_creates = false;
    CHECK(missing_capabilities(report, epic).empty());

    // A server with neither conditional create nor search for a type: the risk is said.
    const CapabilityReport no_search = read_capability_statement(R"({
      "resourceType": "CapabilityStatement", "fhirVersion": "4.0.1",
      "rest": [{"mode": "server", "resource": [
        {"type": "Observation", "interaction": [{"code": "create"}]},
        {"type": "DocumentReference", "interaction": [{"code": "create"}]}]}]})");
    CHECK(mentions(missing_capabilities(no_search, epic), "may be written twice"));
    CHECK(joined_profiles({}) == "none: it declares no create the plugin can use");
  }

  TEST_CASE("an answer that is not a CapabilityStatement is an error") {
    CHECK_FALSE(read_capability_statement("<html>").error.empty());
    CHECK_FALSE(read_capability_statement(R"({"resourceType": "Bundle"})").error.empty());
  }
}
