// Dates and times from outside (a FHIR server, the host, an HTTP header, the store),
// read with Howard Hinnant's date library and range-checked before they become a
// std::chrono::system_clock time.
//
// Why the range: system_clock counts nanoseconds in 64 bits here, so it holds only
// 1677-09-21 to 2262-04-11; a year 9999 converted to it wraps around (signed overflow,
// a point drawn in 1816). A date of a session or an answer lies within 1900 to 2199;
// anything else is refused, never wrapped.
//
// Plain functions, text in, value or nothing out: what tests/fuzz calls.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace alliance::fhir {

using TimePoint = std::chrono::system_clock::time_point;

inline constexpr int kEarliestYear = 1900;
inline constexpr int kLatestYear = 2199;

// RFC 3339 date-time, as FHIR's instant and the ABI's times: "2026-11-02T15:04:05Z",
// "2026-11-02T15:04:05.123+02:00" (1 to 9 fraction digits, kept to the millisecond;
// upper-case T and Z; a leap second is taken as the second before it). Nothing for any
// other text or a year outside kEarliestYear..kLatestYear (in UTC).
std::optional<TimePoint> read_rfc3339(std::string_view text);

// A FHIR dateTime with at least day precision: a full date-time (read_rfc3339), or a
// date alone ("2026-11-02"), read as midnight UTC. Year or year-month precision and a
// time without a zone are not readable.
std::optional<TimePoint> read_fhir_date_time(std::string_view text);

// An HTTP date in the preferred form (IMF-fixdate, RFC 9110 section 5.6.7):
// "Sun, 06 Nov 1994 08:49:37 GMT". Any year the form can spell (to 9999) is read, as
// seconds, without a range check: see read_retry_after.
std::optional<std::chrono::sys_seconds> read_http_date(std::string_view text);

// Retry-After (RFC 9110 section 10.2.3): delta-seconds ("120") or an HTTP date, as a
// wait from `now`, never negative and never more than `cap` (a date in year 9999 or
// a 30-digit number waits `cap`). Nothing when the value is neither.
std::optional<std::chrono::seconds> read_retry_after(std::string_view value, TimePoint now, std::chrono::seconds cap);

}  // namespace alliance::fhir
