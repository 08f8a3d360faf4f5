// What to do after one attempt to push an administration to the FHIR server: a pure
// decision from the outcome, so every rule is a line in a table of tests.
//   delivered  200 with a transaction-response naming both resources
//   retry      network and TLS failures, timeouts, 429, 5xx (Retry-After honoured),
//              and answers that cannot be read
//   failed     400, 401, 403, 404, 405, 409, 412, 413, 415, 422 and redirects: trying
//              again cannot fix them; the OperationOutcome's text is kept for IT
#pragma once

#include <chrono>
#include <string>

namespace alliance {

// One attempt's outcome, independent of the HTTP library.
struct AttemptOutcome {
  bool transport_failed = false;
  std::string transport_error;  // plain words, no PHI (e.g. a certificate reason)
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
};

enum class AttemptVerdict { delivered, retry, failed };

struct DeliveryDecision {
  AttemptVerdict verdict = AttemptVerdict::retry;
  std::string server_resources;  // delivered: JSON [{"type","id","status"}]
  std::string stored_error;      // retry/failed: for the store and IT (may quote the server)
  std::string log_reason;        // for the log: never PHI, never the server's text
  std::chrono::seconds earliest_retry{0};  // from Retry-After
};

DeliveryDecision decide(const AttemptOutcome& outcome, std::size_t expected_entries,
                        std::chrono::system_clock::time_point now);

// Exponential backoff: initial, 2x, 4x ... capped at maximum (attempts counts from 1).
std::chrono::seconds retry_delay(int attempts, std::chrono::seconds initial, std::chrono::seconds maximum);

// Retry-After as seconds ("120") or an HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT"),
// relative to `now` (fhir::read_retry_after); zero when absent or unreadable, never
// negative, capped at a day (a date in year 9999 or a 30-digit number waits a day).
std::chrono::seconds parse_retry_after(const std::string& value, std::chrono::system_clock::time_point now);

}  // namespace alliance
