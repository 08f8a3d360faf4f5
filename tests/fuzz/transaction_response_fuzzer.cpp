// read_transaction_response, read_search_matches, says_already_exists and
// describe_operation_outcome (fhir/mapping/transaction_response.cpp): a FHIR server's
// answer to a transaction, to the search for an earlier write, or its OperationOutcome.
// The first byte picks how many entries the transaction sent and the answer's status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "mapping/transaction_response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t expected_entries = data[0] % 4;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const alliance::fhir::TransactionResult result = alliance::fhir::read_transaction_response(body, expected_entries);
  if (result.error.empty()) {
    // Delivered only with one confirmed resource per entry sent.
    FUZZ_CHECK(result.resources.size() == expected_entries);
    for (const auto& resource : result.resources) {
      FUZZ_CHECK(resource.status == 200 || resource.status == 201);
      FUZZ_CHECK(!resource.type.empty() && !resource.id.empty());
    }
  }
  const alliance::fhir::SearchMatches matches = alliance::fhir::read_search_matches(body, "Observation");
  if (!matches.error.empty()) FUZZ_CHECK(matches.ids.empty());
  for (const std::string& id : matches.ids) FUZZ_CHECK(!id.empty() && id.size() <= 64);
  const int status = 400 + data[0] % 16;
  static_cast<void>(alliance::fhir::says_already_exists(status, body));
  FUZZ_CHECK(!alliance::fhir::says_already_exists(500 + data[0] % 16, body));  // only a 4xx says it exists
  const std::string described = alliance::fhir::describe_operation_outcome(body, 200);
  FUZZ_CHECK(described.size() <= 200 + 3);  // the limit, and "..."
  return 0;
}
