// read_observation_history (fhir/mapping/observation_history.cpp): a page of a FHIR
// server's search for a client's earlier ORS/SRS totals; its points then go through
// merge_history, which reads their times back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "measures/measure_definition.hpp"
#include "mapping/observation_history.hpp"
#include "scoring/history_merge.hpp"
#include "reading/utc_clock.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const alliance::fhir::HistoryPage page = alliance::fhir::read_observation_history(body);
  if (!page.error.empty()) FUZZ_CHECK(page.points.empty());
  for (const alliance::fhir::HistoryPoint& point : page.points) {
    FUZZ_CHECK(alliance::is_measure_code(point.measure_code));
    FUZZ_CHECK(point.total_tenths >= 0 && point.total_tenths <= 400);
    // The store's fixed-width format ("2026-11-02T15:04:05.123Z"), which it orders as
    // text and reads back with parse_utc.
    FUZZ_CHECK(point.effective_at.size() == 24);
    FUZZ_CHECK(alliance::parse_utc(point.effective_at).has_value());
  }
  alliance::MeasureHistory local;
  local.intake_total = 250;
  local.intake_at = "2026-01-05T10:00:00.000Z";
  const alliance::MeasureHistory merged =
      alliance::merge_history(local, page.points, "ORS", "https://fhir.alliance-plugin.org/sid/administration",
                                    "2026-12-01T00:00:00Z");
  FUZZ_CHECK(merged.earlier_administrations >= local.earlier_administrations);
  return 0;
}
