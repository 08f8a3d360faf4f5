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

  TEST_CASE("an answer that is not a CapabilityStatement is an error") {
    CHECK_FALSE(read_capability_statement("<html>").error.empty());
    CHECK_FALSE(read_capability_statement(R"({"resourceType": "Bundle"})").error.empty());
  }
}
