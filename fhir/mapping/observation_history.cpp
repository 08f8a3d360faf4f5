#include "mapping/observation_history.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "reading/date_time.hpp"
#include "reading/json_reader.hpp"
#include "measures/measure_definition.hpp"
#include "measures/measure_library.hpp"
#include "reading/utc_clock.hpp"

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

// A FHIR dateTime with at least day precision, within the years date_time.hpp reads.
std::optional<TimePoint> parse_date_time(std::string_view text) { return read_fhir_date_time(text); }

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
  JsonReading reading = read_json(body, JsonLimits{kHistoryPageMaximumBytes, kHistoryPageMaximumDepth, false});
  if (!reading.ok()) {
    page.error = "the search result is not usable JSON: " + reading.error;
    return page;
  }
  const json bundle = std::move(reading.value);
  if (!bundle.is_object()) {
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

}  // namespace alliance::fhir
