// RFC 3339, FHIR dateTime and HTTP dates, read with Howard Hinnant's date library and
// range-checked before they become system_clock times.
#include <doctest/doctest.h>

#include <string>

#include "reading/date_time.hpp"

using namespace alliance::fhir;
using namespace std::chrono_literals;

namespace {

// Seconds since 1970 of a reading, or -1 when there is none.
long long seconds_of(const std::optional<TimePoint>& moment) {
  if (!moment) return -1;
  return std::chrono::duration_cast<std::chrono::seconds>(moment->time_since_epoch()).count();
}

long long milliseconds_of(const std::optional<TimePoint>& moment) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(moment->time_since_epoch()).count();
}

}  // namespace

TEST_SUITE("date_time") {
  TEST_CASE("date_time: RFC 3339 date-times in UTC and with offsets") {
    CHECK(seconds_of(read_rfc3339("1970-01-01T00:00:00Z")) == 0);
    CHECK(seconds_of(read_rfc3339("2026-11-02T15:00:00Z")) == 1793631600);
    CHECK(seconds_of(read_rfc3339("2026-11-02T16:00:00+01:00")) == 1793631600);
    CHECK(seconds_of(read_rfc3339("2026-11-02T10:30:00-04:30")) == 1793631600);
    CHECK(milliseconds_of(read_rfc3339("2026-11-02T15:00:00.5Z")) == 1793631600500);
    CHECK(milliseconds_of(read_rfc3339("2026-11-02T15:00:00.123456789Z")) == 1793631600123);
    CHECK(seconds_of(read_rfc3339("2016-12-31T23:59:60Z")) == seconds_of(read_rfc3339("2016-12-31T23:59:59Z")));
  }

  TEST_CASE("date_time: what is no RFC 3339 date-time is refused") {
    for (const char* text :
         {"", "2026-11-02", "2026-11-02T15:00:00", "2026-11-02 15:00:00Z", "2026-11-02t15:00:00z", "2026-1-02T15:00:00Z",
          "2026-11-02T15:00Z", "2026-13-02T15:00:00Z", "2026-02-30T15:00:00Z", "2026-11-02T24:00:00Z",
          "2026-11-02T15:60:00Z", "2026-11-02T15:00:61Z", "2026-11-02T15:00:00.Z", "2026-11-02T15:00:00.1234567890Z",
          "2026-11-02T15:00:00+1:00", "2026-11-02T15:00:00+15:00", "2026-11-02T15:00:00Zjunk", "+2026-11-02T15:00:00Z",
          "2026-11-02T15:00:00+01:00 ", " 2026-11-02T15:00:00Z"}) {
      CAPTURE(text);
      CHECK_FALSE(read_rfc3339(text));
    }
  }

  TEST_CASE("date_time: years outside 1900 to 2199 are refused, never wrapped") {
    CHECK(read_rfc3339("1900-01-01T00:00:00Z"));
    CHECK(read_rfc3339("2199-12-31T23:59:59.999Z"));
    for (const char* text : {"9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z", "2200-01-01T00:00:00Z",
                             "1899-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "1900-01-01T00:30:00+01:00"}) {
      CAPTURE(text);
      CHECK_FALSE(read_rfc3339(text));
    }
    CHECK_FALSE(read_fhir_date_time("9999-12-31"));
  }

  TEST_CASE("date_time: a FHIR dateTime of a day is midnight UTC") {
    CHECK(seconds_of(read_fhir_date_time("2026-11-02")) == 1793577600);
    CHECK(seconds_of(read_fhir_date_time("2026-11-02T15:00:00Z")) == 1793631600);
    for (const char* text : {"2026", "2026-11", "2026-02-29", "2026-11-2", "20261102", "2026-11-02Z"}) {
      CAPTURE(text);
      CHECK_FALSE(read_fhir_date_time(text));
    }
  }

  TEST_CASE("date_time: HTTP dates in IMF-fixdate form") {
    const auto date = read_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
    REQUIRE(date);
    CHECK(date->time_since_epoch().count() == 784111777);
    CHECK(read_http_date("Fri, 31 Dec 9999 23:59:59 GMT"));  // spelt right; the caller bounds the wait
    for (const char* text : {"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37",
                             "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 06 Nox 1994 08:49:37 GMT",
                             "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT "}) {
      CAPTURE(text);
      CHECK_FALSE(read_http_date(text));
    }
  }

  TEST_CASE("date_time: Retry-After waits are never negative and never past the cap") {
    const TimePoint now = TimePoint{} + std::chrono::seconds(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
    CHECK(read_retry_after("120", now, 3600s) == 120s);
    CHECK(read_retry_after("0", now, 3600s) == 0s);
    CHECK(read_retry_after("7200", now, 3600s) == 3600s);
    CHECK(read_retry_after(std::string(400, '9'), now, 3600s) == 3600s);
    CHECK(read_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now, 3600s) == 120s);
    CHECK(read_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now, 3600s) == 0s);
    CHECK(read_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now, 3600s) == 3600s);
    CHECK_FALSE(read_retry_after("", now, 3600s));
    CHECK_FALSE(read_retry_after("-1", now, 3600s));
    CHECK_FALSE(read_retry_after("1.5", now, 3600s));
    CHECK_FALSE(read_retry_after("soon", now, 3600s));
  }
}
