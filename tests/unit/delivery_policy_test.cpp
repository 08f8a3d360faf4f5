#include <doctest/doctest.h>

#include "delivery/delivery_policy.hpp"

using namespace alliance;
using namespace std::chrono_literals;

namespace {

const auto kNow = std::chrono::system_clock::from_time_t(1793000000);  // a fixed moment in 2026

AttemptOutcome answer(int status, std::string body = "", std::string retry_after = "") {
  AttemptOutcome outcome;
  outcome.status = status;
  outcome.body = std::move(body);
  outcome.retry_after = std::move(retry_after);
  return outcome;
}

const char* const kTransactionResponse = R"({"resourceType": "Bundle", "type": "transaction-response", "entry": [
  {"response": {"status": "201 Created", "location": "QuestionnaireResponse/1/_history/1"}},
  {"response": {"status": "201 Created", "location": "Observation/2/_history/1"}}]})";

}  // namespace

TEST_SUITE("delivery_policy") {
  TEST_CASE("a transaction-response delivers and keeps the server ids") {
    const DeliveryDecision decision = decide(answer(200, kTransactionResponse), 2, kNow);
    CHECK(decision.verdict == AttemptVerdict::delivered);
    CHECK(decision.server_resources ==
          R"([{"id":"1","status":201,"type":"QuestionnaireResponse"},{"id":"2","status":201,"type":"Observation"}])");
  }

  TEST_CASE("each status gets the verdict the retry rules give it") {
    struct Case {
      int status;
      AttemptVerdict verdict;
    };
    const Case cases[] = {{400, AttemptVerdict::failed}, {401, AttemptVerdict::failed}, {403, AttemptVerdict::failed},
                          {404, AttemptVerdict::failed}, {409, AttemptVerdict::failed}, {412, AttemptVerdict::failed},
                          {422, AttemptVerdict::failed}, {301, AttemptVerdict::failed}, {429, AttemptVerdict::retry},
                          {500, AttemptVerdict::retry},  {502, AttemptVerdict::retry},  {503, AttemptVerdict::retry},
                          {504, AttemptVerdict::retry}};
    for (const Case& item : cases) {
      CAPTURE(item.status);
      CHECK(decide(answer(item.status), 2, kNow).verdict == item.verdict);
    }
  }

  TEST_CASE("a refusal keeps the OperationOutcome for IT but the log gets only the status") {
    const DeliveryDecision decision = decide(answer(422, R"({"resourceType": "OperationOutcome", "issue": [
      {"severity": "error", "code": "invalid", "diagnostics": "Patient/pat-secret not found"}]})"),
                                             2, kNow);
    CHECK(decision.verdict == AttemptVerdict::failed);
    CHECK(decision.stored_error == "HTTP 422: error invalid: Patient/pat-secret not found");
    CHECK(decision.log_reason == "status=422 refused_by_server");
  }

  TEST_CASE("network failures and unreadable answers are retried") {
    AttemptOutcome failure;
    failure.transport_failed = true;
    failure.transport_error = "certificate verify failed: hostname mismatch";
    const DeliveryDecision decision = decide(failure, 2, kNow);
    CHECK(decision.verdict == AttemptVerdict::retry);
    CHECK(decision.log_reason == "certificate verify failed: hostname mismatch");
    CHECK(decide(answer(200, "<html>"), 2, kNow).verdict == AttemptVerdict::retry);
    CHECK(decide(answer(200, kTransactionResponse), 3, kNow).verdict == AttemptVerdict::retry);
  }

  TEST_CASE("Retry-After is read as seconds or as an HTTP date") {
    CHECK(decide(answer(503, "", "120"), 2, kNow).earliest_retry == 120s);
    CHECK(parse_retry_after("", kNow) == 0s);
    CHECK(parse_retry_after("soon", kNow) == 0s);
    CHECK(parse_retry_after("99999999999", kNow) == 24h);
    const auto date_now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", date_now) == 90s);
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", date_now) == 0s);  // in the past
    // Found by fuzzing: a date after 2262 overflowed system_clock (and waited 0 s).
    CHECK(parse_retry_after("Sat, 02 Nov 9996 16:00:00 GMT", date_now) == 24h);
    // A weekday the date does not have is no date (RFC 9110's IMF-fixdate): read as
    // absent, so the usual backoff applies rather than a guess.
    CHECK(parse_retry_after("Mon, 02 Nov 9996 16:00:00 GMT", date_now) == 0s);
  }

  TEST_CASE("backoff doubles from the initial delay up to the maximum") {
    CHECK(retry_delay(1, 5s, 300s) == 5s);
    CHECK(retry_delay(2, 5s, 300s) == 10s);
    CHECK(retry_delay(4, 5s, 300s) == 40s);
    CHECK(retry_delay(7, 5s, 300s) == 300s);
    CHECK(retry_delay(1000, 5s, 300s) == 300s);
  }

  TEST_CASE("Retry-After far in the future waits the cap, without overflow") {
    // Year 9999 is past what system_clock's nanoseconds hold (2262): converting it
    // overflowed (UBSan aborts) and the wait came out as 0 s.
    CHECK(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", kNow) == 24h);
    CHECK(decide(answer(503, "", "Fri, 31 Dec 9999 23:59:59 GMT"), 2, kNow).earliest_retry == 24h);
    CHECK(parse_retry_after("Mon, 01 Jan 2300 00:00:00 GMT", kNow) == 24h);
    CHECK(parse_retry_after("000000000000000000000000000120", kNow) == 120s);
    CHECK(parse_retry_after("999999999999999999999999999999", kNow) == 24h);
    CHECK(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", kNow) == 0s);
    CHECK(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT trailing", kNow) == 0s);
    CHECK(parse_retry_after("Fri, 32 Dec 2026 23:59:59 GMT", kNow) == 0s);
    CHECK(parse_retry_after("-5", kNow) == 0s);
  }
}
