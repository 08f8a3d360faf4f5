#include "reading/utc_clock.hpp"

#include <date/date.h>

#include "reading/date_time.hpp"

namespace alliance {

std::string format_utc(std::chrono::system_clock::time_point moment) {
  // %T of a millisecond time point writes "15:04:05.123".
  return date::format("%Y-%m-%dT%TZ", date::floor<std::chrono::milliseconds>(moment));
}

std::string utc_now() { return format_utc(std::chrono::system_clock::now()); }

std::optional<std::chrono::system_clock::time_point> parse_utc(const std::string& text) {
  return fhir::read_rfc3339(text);
}

}  // namespace alliance
