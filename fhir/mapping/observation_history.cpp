#include "observation_history.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "measure_definition.hpp"
#include "measure_library.hpp"
#include "utc_clock.hpp"

namespace alliance::fhir {

using nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

namespace {

constexpr const char* kItemCodeSystem = "https://fhir.alliance-plugin.org/CodeSystem/pcoms-item";

std::string lower(std::string text) {
  for (char& character : text) character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  return text;
}

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

std::string text_of(const json& object, const char* key) {
  const json* value = member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

// The deepest nesting of objects and arrays, without building anything; stops counting
// past `limit`. nlohmann's parser is not recursive, but a hostile page could still make
// it allocate a deep tree for nothing.
bool nesting_within(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char character : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (character == '\\') {
        escaped = true;
      } else if (character == '"') {
        in_string = false;
      }
      continue;
    }
    if (character == '"') {
      in_string = true;
    } else if (character == '{' || character == '[') {
      if (++depth > limit) return false;
    } else if (character == '}' || character == ']') {
      --depth;
    }
  }
  return true;
}

// Reads exactly `count` digits at `text[at]`; advances `at`.
bool digits(std::string_view text, size_t& at, size_t count, int& value) {
  if (at + count > text.size()) return false;
  value = 0;
  for (size_t index = 0; index < count; ++index) {
    const char character = text[at + index];
    if (character < '0' || character > '9') return false;
    value = value * 10 + (character - '0');
  }
  at += count;
  return true;
}

bool expect(std::string_view text, size_t& at, char wanted) {
  if (at >= text.size() || text[at] != wanted) return false;
  ++at;
  return true;
}

// A FHIR dateTime (or instant) with at least day precision: "2026-11-02", or
// "2026-11-02T15:04:05[.fraction](Z|+hh:mm|-hh:mm)". A date alone is midnight UTC.
// Year or year-month precision, and a time without a zone (FHIR requires one), are
// not readable.
std::optional<TimePoint> parse_date_time(std::string_view text) {
  using namespace std::chrono;
  size_t at = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  if (!digits(text, at, 4, year) || !expect(text, at, '-') || !digits(text, at, 2, month) || !expect(text, at, '-') ||
      !digits(text, at, 2, day)) {
    return std::nullopt;
  }
  // system_clock counts nanoseconds and overflows after 2262 (a year 5027 became some
  // day in the 1700s, and the client's intake); the store's format (format_utc) has
  // no time before 1970. No ORS or SRS was taken outside these years.
  if (year < 1970 || year > 2200) return std::nullopt;
  const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  TimePoint moment = sys_days{date};
  if (at == text.size()) return moment;

  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!expect(text, at, 'T') || !digits(text, at, 2, hour) || !expect(text, at, ':') || !digits(text, at, 2, minute) ||
      !expect(text, at, ':') || !digits(text, at, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  second = std::min(second, 59);  // a leap second is taken as the second before it
  int milliseconds = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    size_t fraction_digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (fraction_digits < 3) milliseconds = milliseconds * 10 + (text[at] - '0');
      ++fraction_digits;
      ++at;
    }
    if (fraction_digits == 0 || fraction_digits > 9) return std::nullopt;
    for (size_t padding = fraction_digits; padding < 3; ++padding) milliseconds *= 10;
  }
  moment += hours(hour) + minutes(minute) + seconds(second) + std::chrono::milliseconds(milliseconds);
  if (at >= text.size()) return std::nullopt;  // a time needs a zone
  if (text[at] == 'Z' && at + 1 == text.size()) return moment;
  if (text[at] != '+' && text[at] != '-') return std::nullopt;
  const bool ahead = text[at] == '+';
  ++at;
  int offset_hours = 0;
  int offset_minutes = 0;
  if (!digits(text, at, 2, offset_hours) || !expect(text, at, ':') || !digits(text, at, 2, offset_minutes) ||
      at != text.size() || offset_hours > 14 || offset_minutes > 59) {
    return std::nullopt;
  }
  const auto offset = hours(offset_hours) + minutes(offset_minutes);
  const TimePoint in_utc = ahead ? moment - offset : moment + offset;
  if (in_utc < TimePoint{}) return std::nullopt;  // 1970-01-01T00:00:00+01:00 is in 1969
  return in_utc;
}

// The measure a code names, "" when none; `per_item` is set for a pcoms-item code
// that is not a total.
std::string measure_of(const json& code, bool& per_item, bool& ambiguous) {
  std::string found;
  const json* codings = member(code, "coding");
  if (codings == nullptr || !codings->is_array()) return found;
  for (const json& coding : *codings) {
    const std::string system = text_of(coding, "system");
    const std::string value = text_of(coding, "code");
    if (value.empty()) continue;
    std::string measure;
    for (const char* known : kMeasureCodes) {
      const std::string snomed = snomed_code_of(known);
      if ((system == kSnomedSystem && !snomed.empty() && value == snomed) ||
          (system == kMeasureCodeSystem && value == lower(known))) {
        measure = known;
      }
    }
    if (system == kItemCodeSystem && (value.size() < 6 || value.compare(value.size() - 6, 6, "-total") != 0)) {
      per_item = true;
    }
    if (measure.empty()) continue;
    if (!found.empty() && found != measure) ambiguous = true;
    found = measure;
  }
  return found;
}

std::optional<Tenths> total_of(const json& observation) {
  const json* quantity = member(observation, "valueQuantity");
  const json* value = quantity != nullptr ? member(*quantity, "value") : nullptr;
  if (value == nullptr || !value->is_number()) return std::nullopt;
  const double points = value->get<double>();
  if (!std::isfinite(points) || points < 0.0 || points > 40.0) return std::nullopt;
  // Nearest tenth; the small bias keeps 39.95 (stored as 39.9499...) rounding up, as
  // the decimal the server wrote would.
  return static_cast<Tenths>(std::llround(points * 10.0 + 1e-7));
}

std::optional<HistoryPoint> point_of(const json& entry) {
  if (!entry.is_object()) return std::nullopt;
  if (const json* search = member(entry, "search")) {
    const std::string mode = text_of(*search, "mode");
    if (mode == "include" || mode == "outcome") return std::nullopt;
  }
  const json* resource = member(entry, "resource");
  if (resource == nullptr || text_of(*resource, "resourceType") != "Observation") return std::nullopt;
  const std::string status = text_of(*resource, "status");
  if (status != "final" && status != "amended" && status != "corrected") return std::nullopt;

  const json* code = member(*resource, "code");
  if (code == nullptr) return std::nullopt;
  bool per_item = false;
  bool ambiguous = false;
  HistoryPoint point;
  point.measure_code = measure_of(*code, per_item, ambiguous);
  if (point.measure_code.empty() || per_item || ambiguous) return std::nullopt;

  std::string effective = text_of(*resource, "effectiveDateTime");
  if (effective.empty()) effective = text_of(*resource, "effectiveInstant");
  if (effective.empty()) {
    if (const json* period = member(*resource, "effectivePeriod")) effective = text_of(*period, "start");
  }
  const std::optional<TimePoint> moment = parse_date_time(effective);
  if (!moment) return std::nullopt;
  point.effective_at = format_utc(*moment);

  const std::optional<Tenths> total = total_of(*resource);
  if (!total) return std::nullopt;
  point.total_tenths = *total;

  if (const json* identifiers = member(*resource, "identifier")) {
    const auto take = [&point](const json& identifier) {
      const std::string system = text_of(identifier, "system");
      const std::string value = text_of(identifier, "value");
      if (system.empty() || value.empty()) return false;
      point.identifier_system = system;
      point.identifier_value = value;
      return true;
    };
    if (identifiers->is_array()) {
      for (const json& identifier : *identifiers) {
        if (take(identifier)) break;
      }
    } else {
      take(*identifiers);
    }
  }
  return point;
}

}  // namespace

HistoryPage read_observation_history(std::string_view body) {
  HistoryPage page;
  if (body.size() > kHistoryPageMaximumBytes) {
    page.error = "the search result is larger than " + std::to_string(kHistoryPageMaximumBytes) + " bytes";
    return page;
  }
  if (!nesting_within(body, kHistoryPageMaximumDepth)) {
    page.error = "the search result is nested too deeply";
    return page;
  }
  const json bundle = json::parse(body, nullptr, false);
  if (bundle.is_discarded() || !bundle.is_object()) {
    page.error = "the search result is not a JSON object";
    return page;
  }
  if (text_of(bundle, "resourceType") != "Bundle" || text_of(bundle, "type") != "searchset") {
    page.error = "the search result is not a searchset Bundle";
    return page;
  }
  if (const json* links = member(bundle, "link"); links != nullptr && links->is_array()) {
    for (const json& link : *links) {
      if (text_of(link, "relation") == "next") {
        page.next_url = text_of(link, "url");
        break;
      }
    }
  }
  const json* entries = member(bundle, "entry");
  if (entries == nullptr) return page;  // no matches
  if (!entries->is_array()) {
    page.error = "the search result's entry is not a list";
    page.next_url.clear();
    return page;
  }
  for (const json& entry : *entries) {
    try {
      if (std::optional<HistoryPoint> point = point_of(entry)) {
        page.points.push_back(std::move(*point));
        continue;
      }
    } catch (const std::exception&) {
      // Out of memory or a type the checks above missed: the entry is skipped, the
      // page still counts.
    }
    ++page.skipped_entries;
  }
  return page;
}

MeasureHistory merge_history(const MeasureHistory& local, const std::vector<HistoryPoint>& server,
                             const std::string& measure_code, const std::string& own_identifier_system,
                             const std::string& before) {
  std::optional<TimePoint> bound;
  if (!before.empty()) {
    bound = parse_date_time(before);
    if (!bound) return local;  // no way to tell earlier from later: the store alone
  }
  struct Accepted {
    TimePoint at;
    const HistoryPoint* point;
  };
  std::vector<Accepted> accepted;
  std::set<std::pair<std::string, std::string>> seen;
  for (const HistoryPoint& point : server) {
    if (point.measure_code != measure_code) continue;
    if (!own_identifier_system.empty() && point.identifier_system == own_identifier_system) continue;
    if (point.total_tenths < 0 || point.total_tenths > 400) continue;
    const std::optional<TimePoint> at = parse_date_time(point.effective_at);
    if (!at || (bound && !(*at < *bound))) continue;
    if (!point.identifier_value.empty() && !seen.emplace(point.identifier_system, point.identifier_value).second) {
      continue;
    }
    accepted.push_back({*at, &point});
  }
  if (accepted.empty()) return local;

  // The first of the earliest and the last of the latest, so that equal times keep
  // the server's order.
  const Accepted* earliest = &accepted.front();
  const Accepted* latest = &accepted.front();
  for (const Accepted& candidate : accepted) {
    if (candidate.at < earliest->at) earliest = &candidate;
    if (!(candidate.at < latest->at)) latest = &candidate;
  }

  MeasureHistory merged = local;
  if (!local.intake_total) {
    merged.intake_total = earliest->point->total_tenths;
    merged.intake_at = earliest->point->effective_at;
  } else if (const std::optional<TimePoint> local_at = parse_date_time(local.intake_at);
             local_at && earliest->at < *local_at) {
    merged.intake_total = earliest->point->total_tenths;
    merged.intake_at = earliest->point->effective_at;
  }
  if (!local.previous_total) {
    merged.previous_total = latest->point->total_tenths;
    merged.previous_at = latest->point->effective_at;
  } else if (const std::optional<TimePoint> local_at = parse_date_time(local.previous_at);
             local_at && *local_at < latest->at) {
    merged.previous_total = latest->point->total_tenths;
    merged.previous_at = latest->point->effective_at;
  }
  const int count = static_cast<int>(accepted.size());
  merged.earlier_administrations += count;
  // Approximation: each accepted point is counted as a session of its own (another
  // site's sessions cannot be told apart from its Observations).
  merged.earlier_sessions += count;
  return merged;
}

}  // namespace alliance::fhir
