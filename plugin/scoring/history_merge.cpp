#include "scoring/history_merge.hpp"

#include <chrono>
#include <optional>
#include <set>
#include <utility>

#include "reading/date_time.hpp"

namespace alliance {

namespace {
using TimePoint = std::chrono::system_clock::time_point;

// A FHIR dateTime with at least day precision, within the years date_time.hpp reads.
std::optional<TimePoint> parse_date_time(std::string_view text) { return fhir::read_fhir_date_time(text); }
}  // namespace

MeasureHistory merge_history(const MeasureHistory& local, const std::vector<fhir::HistoryPoint>& server,
                             const std::string& measure_code, const std::string& own_identifier_system,
                             const std::string& before) {
  std::optional<TimePoint> bound;
  if (!before.empty()) {
    bound = parse_date_time(before);
    if (!bound) return local;  // no way to tell earlier from later: the store alone
  }
  struct Accepted {
    TimePoint at;
    const fhir::HistoryPoint* point;
  };
  std::vector<Accepted> accepted;
  std::set<std::pair<std::string, std::string>> seen;
  for (const fhir::HistoryPoint& point : server) {
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

}  // namespace alliance
