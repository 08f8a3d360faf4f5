#include "delivery/delivery_policy.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "reading/date_time.hpp"
#include "mapping/transaction_response.hpp"

namespace alliance {

using nlohmann::json;

namespace {

constexpr std::chrono::seconds kLongestRetryAfter{24 * 60 * 60};

bool is_permanent_client_error(int status) {
  switch (status) {
    case 400: case 401: case 403: case 404: case 405: case 409: case 412: case 413: case 415: case 422:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::chrono::seconds parse_retry_after(const std::string& value, std::chrono::system_clock::time_point now) {
  return fhir::read_retry_after(value, now, kLongestRetryAfter).value_or(std::chrono::seconds{0});
}

std::chrono::seconds retry_delay(int attempts, std::chrono::seconds initial, std::chrono::seconds maximum) {
  std::chrono::seconds delay = initial;
  for (int step = 1; step < attempts && delay < maximum; ++step) delay *= 2;
  return std::min(delay, maximum);
}

DeliveryDecision decide(const AttemptOutcome& outcome, std::size_t expected_entries,
                        std::chrono::system_clock::time_point now) {
  DeliveryDecision decision;
  if (outcome.transport_failed) {
    decision.verdict = AttemptVerdict::retry;
    decision.stored_error = outcome.transport_error;
    decision.log_reason = outcome.transport_error;
    return decision;
  }
  const std::string status = "status=" + std::to_string(outcome.status);
  if (outcome.status == 200 || outcome.status == 201) {
    const fhir::TransactionResult result = fhir::read_transaction_response(outcome.body, expected_entries);
    if (!result.error.empty()) {
      decision.verdict = AttemptVerdict::retry;
      decision.stored_error = result.error;
      decision.log_reason = status + " unreadable_transaction_response";
      return decision;
    }
    json resources = json::array();
    for (const auto& resource : result.resources) {
      resources.push_back({{"type", resource.type}, {"id", resource.id}, {"status", resource.status}});
    }
    decision.verdict = AttemptVerdict::delivered;
    decision.server_resources = resources.dump();
    return decision;
  }
  decision.stored_error = "HTTP " + std::to_string(outcome.status) + ": " + fhir::describe_operation_outcome(outcome.body);
  if (outcome.status == 429 || outcome.status >= 500) {
    decision.verdict = AttemptVerdict::retry;
    decision.earliest_retry = parse_retry_after(outcome.retry_after, now);
    decision.log_reason = status + " retry_after_seconds=" + std::to_string(decision.earliest_retry.count());
    return decision;
  }
  // 4xx that retrying cannot fix, redirects (configure the final URL) and anything
  // unexpected: keep it for IT rather than retry it forever.
  decision.verdict = AttemptVerdict::failed;
  decision.log_reason = status + (is_permanent_client_error(outcome.status) ? " refused_by_server" : " unexpected_status");
  return decision;
}

}  // namespace alliance
