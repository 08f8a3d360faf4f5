// Server answers built to hurt: deep nesting, a NUL byte with more text after it,
// duplicate keys. Every reader of a server answer refuses them, cheaply and in words
// that do not quote the answer.
#include <doctest/doctest.h>

#include <string>

#include "../resource_use.hpp"
#include "mapping/observation_history.hpp"
#include "mapping/transaction_response.hpp"

using namespace alliance::fhir;
using alliance::testing::resource_use;

namespace {

// 8 MiB (the HTTPS client's default response limit) of one list inside another.
std::string nested_lists() {
  const std::size_t half = 4 * 1024 * 1024;
  return std::string(half, '[') + std::string(half, ']');
}

constexpr const char* kTransactionResponse = R"({"resourceType": "Bundle", "type": "transaction-response",
  "entry": [{"response": {"status": "201 Created", "location": "Observation/ob-9/_history/1"}}]})";

constexpr const char* kSearchset = R"({"resourceType": "Bundle", "type": "searchset", "entry": []})";

// Limits for refusing 8 MiB of nesting: a parse that builds the tree takes seconds and
// hundreds of MiB.
constexpr double kCheapSeconds = 0.5;
constexpr long kCheapGrowthKib = 32 * 1024;

}  // namespace

TEST_SUITE("fhir_mapping") {
  TEST_CASE("8 MiB of nested lists is refused at once by the transaction-response reader") {
    const std::string body = nested_lists();
    TransactionResult result;
    const auto use = resource_use("read_transaction_response, 8 MiB nested", [&] {
      result = read_transaction_response(body, 1);
    });
    CHECK_FALSE(result.error.empty());
    CHECK(use.seconds < kCheapSeconds);
    CHECK(use.peak_growth_kib < kCheapGrowthKib);
  }

  TEST_CASE("8 MiB of nested lists is refused at once by the OperationOutcome reader") {
    const std::string body = nested_lists();
    std::string text;
    const auto use = resource_use("describe_operation_outcome, 8 MiB nested", [&] {
      text = describe_operation_outcome(body);
    });
    CHECK(text.find("no OperationOutcome") != std::string::npos);
    CHECK(use.seconds < kCheapSeconds);
    CHECK(use.peak_growth_kib < kCheapGrowthKib);
  }

  TEST_CASE("8 MiB of nested lists is refused at once by the history reader") {
    const std::string body = nested_lists();
    HistoryPage page;
    const auto use = resource_use("read_observation_history, 8 MiB nested", [&] {
      page = read_observation_history(body);
    });
    CHECK_FALSE(page.error.empty());
    CHECK(use.seconds < kCheapSeconds);
    CHECK(use.peak_growth_kib < kCheapGrowthKib);
  }

  TEST_CASE("a server answer with a NUL byte and more text after it is refused") {
    const std::string tail = std::string(1, '\0') + "{\"resourceType\": \"OperationOutcome\"}";
    CHECK(read_transaction_response(kTransactionResponse, 1).error.empty());
    CHECK_FALSE(read_transaction_response(kTransactionResponse + tail, 1).error.empty());
    CHECK(read_observation_history(kSearchset).error.empty());
    CHECK_FALSE(read_observation_history(kSearchset + tail).error.empty());
  }

  TEST_CASE("a server answer with a key twice is refused") {
    // Which "location" a reader keeps decides which resource the plugin thinks it made.
    const std::string twice = R"({"resourceType": "Bundle", "type": "transaction-response", "entry": [{"response":
      {"status": "201 Created", "location": "Observation/ob-9", "location": "Observation/ob-10"}}]})";
    const TransactionResult result = read_transaction_response(twice, 1);
    CHECK_FALSE(result.error.empty());
    CHECK(result.error.find("ob-") == std::string::npos);  // never quotes the answer
    const std::string twice_type = R"({"resourceType": "Bundle", "type": "searchset", "type": "searchset"})";
    CHECK_FALSE(read_observation_history(twice_type).error.empty());
  }

  TEST_CASE("8 MiB of nested lists is refused at once by the Questionnaire-create reader") {
    const std::string body = nested_lists();
    std::string id;
    const auto use = resource_use("read_created_id, 8 MiB nested", [&] { id = read_created_id(body, "Questionnaire"); });
    CHECK(id.empty());
    CHECK(use.seconds < kCheapSeconds);
    CHECK(use.peak_growth_kib < kCheapGrowthKib);
  }

  TEST_CASE("the id of a created resource is read strictly") {
    CHECK(read_created_id(R"({"resourceType": "Questionnaire", "id": "q-1.2"})", "Questionnaire") == "q-1.2");
    CHECK(read_created_id(R"({"resourceType": "Observation", "id": "q-1"})", "Questionnaire").empty());
    CHECK(read_created_id(R"({"resourceType": "Questionnaire", "id": "q-1", "id": "q-2"})", "Questionnaire").empty());
    CHECK(read_created_id(std::string(R"({"resourceType": "Questionnaire", "id": "q-1"})") + '\0' + "x", "Questionnaire")
              .empty());
    CHECK(read_created_id(R"({"resourceType": "Questionnaire", "id": "q/1"})", "Questionnaire").empty());
    CHECK(read_created_id(R"({"resourceType": "Questionnaire", "id": ")" + std::string(65, 'a') + "\"}", "Questionnaire")
              .empty());
    CHECK(read_created_id(R"({"resourceType": "Questionnaire", "id": 7})", "Questionnaire").empty());
  }
}
