#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace alliance {

// The current time as RFC 3339 UTC with milliseconds ("2026-11-02T15:04:05.123Z").
// Fixed width, so the store can order by it as text.
std::string utc_now();

// The same format for any moment.
std::string format_utc(std::chrono::system_clock::time_point moment);

// Reads that format back (also without milliseconds, or any RFC 3339 date-time:
// fhir::read_rfc3339); nothing if it is not one or its year is outside 1900 to 2199.
std::optional<std::chrono::system_clock::time_point> parse_utc(const std::string& text);

}  // namespace alliance
