// Reading a client's earlier ORS/SRS totals from a FHIR server's search results, and
// combining them with what the plugin's own store knows, so that a client seen by
// another clinic site keeps one trajectory. Pure functions: the caller fetches the
// pages (server_history.hpp) and hands the store's history in.
//
// Server bodies are untrusted: the reader bounds their size and nesting, never throws,
// and skips (and counts) every entry it cannot use instead of failing the page.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "reading/json_reader.hpp"
#include "measures/scores.hpp"

namespace alliance::fhir {

// One total score of a measure, as a server holds it.
struct HistoryPoint {
  std::string measure_code;  // "ORS", "SRS", "CORS", "CSRS", "YCORS", "GSRS", "CGSRS" (kMeasureCodes)
  // When it was taken: effectiveDateTime, else effectivePeriod.start, normalised to UTC
  // in the store's format ("2026-11-02T15:04:05.123Z"; see utc_clock.hpp). A date
  // without a time ("2026-11-02") is read as midnight UTC of that day. Years outside
  // 1900 to 2199 (date_time.hpp) give no point.
  std::string effective_at;
  int total_tenths = 0;  // 0..400 (valueQuantity.value 0..40, rounded to the nearest tenth)
  // The Observation's first identifier with a system and a value ("" when none): tells
  // this plugin's own results (already in the store) from another site's.
  std::string identifier_system;
  std::string identifier_value;
};

struct HistoryPage {
  std::vector<HistoryPoint> points;  // in the order of the Bundle's entries
  // Bundle.link with relation "next" as the server wrote it ("" on the last page). The
  // caller must check that it points to the same server before following it.
  std::string next_url;
  int skipped_entries = 0;  // entries that gave no point (not an Observation, not final, ...)
  // Set when the body as a whole is unusable (not JSON, not a searchset Bundle, too big
  // or too deeply nested); then `points` is empty. Never quotes the body.
  std::string error;
};

// A page is read as every server answer is (json_reader.hpp): larger bodies are refused
// without parsing, deeper nesting as soon as the parser reaches it (a searchset of
// Observations needs about 8), and so are duplicate keys, a NUL byte and text after
// the Bundle.
inline constexpr std::size_t kHistoryPageMaximumBytes = kServerAnswerMaximumBytes;
inline constexpr int kHistoryPageMaximumDepth = kServerAnswerMaximumDepth;

// Reads one page of a search for Observations (Bundle.type searchset). An entry
// becomes a point when its resource is an Observation with
//  - status final, amended or corrected,
//  - a code that names a measure's total: SNOMED CT (716613004 ORS, 720482000 SRS,
//    718458005 CORS, 718762000 CSRS, 718431003 CGSRS) or the project's pcoms-measure
//    code system (ors, srs, cors, csrs, ycors, gsrs, cgsrs); an Observation that also
//    carries a pcoms-item code other than "<measure>-total" is a per-item score and is
//    skipped,
//  - effectiveDateTime or effectivePeriod.start with at least day precision, in a
//    year from 1900 to 2199,
//  - valueQuantity.value a number from 0 to 40.
// Entries with search.mode "include" or "outcome" are skipped too.
HistoryPage read_observation_history(std::string_view body);

}  // namespace alliance::fhir
