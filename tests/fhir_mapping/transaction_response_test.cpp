#include <doctest/doctest.h>

#include "mapping/transaction_response.hpp"

using namespace alliance::fhir;

TEST_SUITE("fhir_mapping") {
  TEST_CASE("a transaction-response gives the server ids of both resources") {
    const auto result = read_transaction_response(R"({"resourceType": "Bundle", "type": "transaction-response",
      "entry": [
        {"response": {"status": "201 Created", "location": "QuestionnaireResponse/qr-17/_history/1"}},
        {"response": {"status": "200 OK", "location": "https://ehr/fhir/R4/Observation/ob-9/_history/3"}}]})",
                                                  2);
    REQUIRE(result.error.empty());
    REQUIRE(result.resources.size() == 2);
    CHECK(result.resources[0].type == "QuestionnaireResponse");
    CHECK(result.resources[0].id == "qr-17");
    CHECK(result.resources[0].status == 201);
    CHECK(result.resources[1].type == "Observation");
    CHECK(result.resources[1].id == "ob-9");
    CHECK(result.resources[1].status == 200);
  }

  TEST_CASE("the id is taken from the resource when there is no location") {
    const auto result = read_transaction_response(R"({"resourceType": "Bundle", "type": "transaction-response",
      "entry": [{"response": {"status": "201"}, "resource": {"resourceType": "Observation", "id": "x1"}}]})",
                                                  1);
    REQUIRE(result.error.empty());
    CHECK(result.resources[0].id == "x1");
  }

  TEST_CASE("answers that are not a usable transaction-response are reported") {
    CHECK_FALSE(read_transaction_response("<html>", 2).error.empty());
    CHECK_FALSE(read_transaction_response(R"({"resourceType": "OperationOutcome"})", 2).error.empty());
    CHECK_FALSE(read_transaction_response(R"({"resourceType": "Bundle", "type": "transaction-response",
      "entry": [{"response": {"status": "201", "location": "Observation/1"}}]})",
                                          2)
                    .error.empty());
    CHECK_FALSE(read_transaction_response(R"({"resourceType": "Bundle", "type": "transaction-response",
      "entry": [{"response": {"status": "400 Bad Request"}}]})",
                                          1)
                    .error.empty());
  }

  TEST_CASE("an OperationOutcome is described in one line with its expressions") {
    const std::string text = describe_operation_outcome(R"({"resourceType": "OperationOutcome", "issue": [
      {"severity": "error", "code": "invalid", "diagnostics": "Patient/nope not found",
       "expression": ["QuestionnaireResponse.subject"]},
      {"severity": "warning", "code": "processing", "details": {"text": "second issue"}}]})");
    CHECK(text == "error invalid: Patient/nope not found (QuestionnaireResponse.subject); warning processing: second issue");
    CHECK(describe_operation_outcome("<html>oops</html>") == "no OperationOutcome in the answer (17 bytes)");
    CHECK(describe_operation_outcome(R"({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "x",
      "diagnostics": ")" + std::string(5000, 'a') + R"("}]})", 100).size() == 103);
  }
}
