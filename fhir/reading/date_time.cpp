#include "reading/date_time.hpp"

#include <algorithm>
#include <sstream>
#include <string>

#include <date/date.h>

namespace alliance::fhir {

namespace {

using Milliseconds = date::sys_time<std::chrono::milliseconds>;

bool is_digit(char character) { return character >= '0' && character <= '9'; }

// The shape of "YYYY-MM-DD": the library reads fewer digits too ("2026-1-2"), which
// RFC 3339 does not allow.
bool has_date_shape(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return false;
  for (const std::size_t index : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!is_digit(text[index])) return false;
  }
  return true;
}

// Years outside kEarliestYear..kLatestYear are refused before the time point reaches
// system_clock's nanoseconds, where they would wrap.
std::optional<TimePoint> within_range(Milliseconds moment) {
  const date::year_month_day day{date::floor<date::days>(moment)};
  if (day.year() < date::year{kEarliestYear} || day.year() > date::year{kLatestYear}) return std::nullopt;
  return std::chrono::time_point_cast<TimePoint::duration>(moment);
}

}  // namespace

std::optional<TimePoint> read_rfc3339(std::string_view text) {
  // "YYYY-MM-DDTHH:MM:SS" [".fraction"] ("Z" | "+HH:MM" | "-HH:MM"); at most 9
  // fraction digits, so a long text is refused before any copying.
  if (text.size() < 20 || text.size() > 35 || !has_date_shape(text) || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  for (const std::size_t index : {11, 12, 14, 15, 17, 18}) {
    if (!is_digit(text[index])) return std::nullopt;
  }
  std::string normalized(text.substr(0, 19));
  // A leap second (23:59:60) is taken as the second before it.
  if (normalized.compare(17, 2, "60") == 0) normalized.replace(17, 2, "59");
  std::size_t at = 19;
  if (text[at] == '.') {
    const std::size_t first = ++at;
    while (at < text.size() && is_digit(text[at])) ++at;
    const std::size_t count = at - first;
    if (count == 0 || count > 9) return std::nullopt;
    // Kept to the millisecond: the library reads as many digits as the precision has.
    normalized += '.';
    normalized += text.substr(first, std::min<std::size_t>(count, 3));
  }
  const std::string_view zone = text.substr(at);
  if (zone == "Z") {
    normalized += "+00:00";
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && is_digit(zone[1]) && is_digit(zone[2]) &&
             zone[3] == ':' && is_digit(zone[4]) && is_digit(zone[5])) {
    normalized += zone;
  } else {
    return std::nullopt;
  }

  std::istringstream in(normalized);
  Milliseconds moment;
  std::chrono::minutes offset{0};
  date::from_stream(in, "%Y-%m-%dT%H:%M:%S%Ez", moment, static_cast<std::string*>(nullptr), &offset);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  // RFC 3339 allows minutes 00-59 in an offset; FHIR's zones are -12:00 to +14:00.
  if (offset > std::chrono::hours(14) || offset < -std::chrono::hours(14)) return std::nullopt;
  return within_range(moment);
}

std::optional<TimePoint> read_fhir_date_time(std::string_view text) {
  if (text.size() != 10) return read_rfc3339(text);
  if (!has_date_shape(text)) return std::nullopt;
  std::istringstream in{std::string(text)};
  date::year_month_day day{};
  date::from_stream(in, "%Y-%m-%d", day);
  if (in.fail() || in.peek() != std::char_traits<char>::eof() || !day.ok()) return std::nullopt;
  return within_range(Milliseconds{date::sys_days{day}});
}

std::optional<std::chrono::sys_seconds> read_http_date(std::string_view text) {
  // IMF-fixdate is 29 characters: "Sun, 06 Nov 1994 08:49:37 GMT".
  if (text.size() != 29 || text.substr(25) != " GMT" || text[3] != ',' || text[4] != ' ') return std::nullopt;
  for (const std::size_t index : {5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24}) {
    if (!is_digit(text[index])) return std::nullopt;
  }
  std::istringstream in{std::string(text.substr(0, 25))};
  date::sys_seconds moment;
  date::from_stream(in, "%a, %d %b %Y %H:%M:%S", moment);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  return moment;
}

std::optional<std::chrono::seconds> read_retry_after(std::string_view value, TimePoint now, std::chrono::seconds cap) {
  using std::chrono::seconds;
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), is_digit)) {
    // delta-seconds: any number of digits; more than the cap's are the cap.
    const std::string_view significant = value.substr(std::min(value.find_first_not_of('0'), value.size()));
    if (significant.size() > 9) return cap;
    seconds wait{0};
    for (const char digit : significant) wait = wait * 10 + seconds(digit - '0');
    return std::min(wait, cap);
  }
  const std::optional<std::chrono::sys_seconds> at = read_http_date(value);
  if (!at) return std::nullopt;
  // Both sides in seconds: year 9999 is about 2.5e11 s, far inside 64 bits.
  const seconds wait = *at - std::chrono::floor<seconds>(now);
  return std::clamp(wait, seconds{0}, cap);
}

}  // namespace alliance::fhir
