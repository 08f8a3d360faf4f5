#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "scoring/history_merge.hpp"

using alliance::MeasureHistory;
using alliance::merge_history;
using alliance::fhir::HistoryPoint;

namespace {

constexpr const char* kOtherSite = "https://other-site.example.org/sid/alliance";
constexpr const char* kOwnSite = "https://clinic.example.org/sid/alliance";

HistoryPoint point(const std::string& measure, const std::string& at, int tenths,
                   const std::string& system = kOtherSite, const std::string& value = "") {
  static int counter = 0;
  return {measure, at, tenths, system, value.empty() ? "id-" + std::to_string(++counter) : value};
}

MeasureHistory local_history() {
  MeasureHistory local;
  local.earlier_sessions = 2;
  local.earlier_administrations = 2;
  local.intake_total = 180;
  local.previous_total = 220;
  local.intake_at = "2026-03-10T10:00:00.000Z";
  local.previous_at = "2026-03-17T10:00:00.000Z";
  return local;
}

}  // namespace

TEST_SUITE("history merge") {
  TEST_CASE("merge: a server point before the local intake becomes the intake") {
    const MeasureHistory merged =
        merge_history(local_history(), {point("ORS", "2026-02-20T10:00:00.000Z", 150)}, "ORS", kOwnSite,
                      "2026-03-24T10:00:00.000Z");
    CHECK(merged.intake_total == 150);
    CHECK(merged.intake_at == "2026-02-20T10:00:00.000Z");
    CHECK(merged.previous_total == 220);
    CHECK(merged.previous_at == "2026-03-17T10:00:00.000Z");
    CHECK(merged.earlier_administrations == 3);
    CHECK(merged.earlier_sessions == 3);
  }

  TEST_CASE("merge: a server point after the local previous becomes the previous") {
    const MeasureHistory merged = merge_history(
        local_history(), {point("ORS", "2026-03-12T10:00:00.000Z", 200), point("ORS", "2026-03-20T09:00:00+02:00", 260)},
        "ORS", kOwnSite, "2026-03-24T10:00:00.000Z");
    CHECK(merged.intake_total == 180);
    CHECK(merged.previous_total == 260);
    CHECK(merged.previous_at == "2026-03-20T09:00:00+02:00");
    CHECK(merged.earlier_administrations == 4);
  }

  TEST_CASE("merge: which server points count") {
    struct Case {
      const char* name;
      HistoryPoint point;
      bool counted;
    };
    const std::vector<Case> cases = {
        {"another site's, earlier", point("ORS", "2026-03-01T00:00:00.000Z", 100), true},
        {"without an identifier", point("ORS", "2026-03-01T00:00:00.000Z", 100, "", ""), true},
        {"our own identifier system", point("ORS", "2026-03-01T00:00:00.000Z", 100, kOwnSite), false},
        {"at the bound", point("ORS", "2026-03-24T10:00:00.000Z", 100), false},
        {"after the bound", point("ORS", "2026-03-25T10:00:00.000Z", 100), false},
        {"after the bound by its zone", point("ORS", "2026-03-24T09:00:00-02:00", 100), false},
        {"another measure", point("SRS", "2026-03-01T00:00:00.000Z", 100), false},
        {"a child measure", point("CORS", "2026-03-01T00:00:00.000Z", 100), false},
        {"an unreadable time", point("ORS", "yesterday", 100), false},
        {"a total out of range", point("ORS", "2026-03-01T00:00:00.000Z", 401), false},
    };
    for (const Case& item : cases) {
      CAPTURE(item.name);
      const MeasureHistory merged =
          merge_history(local_history(), {item.point}, "ORS", kOwnSite, "2026-03-24T10:00:00.000Z");
      CHECK(merged.earlier_administrations == (item.counted ? 3 : 2));
      CHECK(merged.intake_total == (item.counted ? 100 : 180));
    }
  }

  TEST_CASE("merge: without local history the server gives intake and previous") {
    const MeasureHistory merged = merge_history(
        MeasureHistory{},
        {point("SRS", "2026-03-09T10:00:00.000Z", 350), point("SRS", "2026-03-02T10:00:00.000Z", 330),
         point("SRS", "2026-03-16T10:00:00.000Z", 380)},
        "SRS", kOwnSite, "");
    CHECK(merged.intake_total == 330);
    CHECK(merged.intake_at == "2026-03-02T10:00:00.000Z");
    CHECK(merged.previous_total == 380);
    CHECK(merged.previous_at == "2026-03-16T10:00:00.000Z");
    CHECK(merged.earlier_administrations == 3);
    CHECK(merged.earlier_sessions == 3);
  }

  TEST_CASE("merge: a local intake without a time is kept") {
    MeasureHistory local = local_history();
    local.intake_at.clear();
    local.previous_at.clear();
    const MeasureHistory merged = merge_history(local, {point("ORS", "2020-01-01T00:00:00.000Z", 100)}, "ORS",
                                                kOwnSite, "2026-03-24T10:00:00.000Z");
    CHECK(merged.intake_total == 180);
    CHECK(merged.previous_total == 220);
    CHECK(merged.earlier_administrations == 3);
  }

  TEST_CASE("merge: equal times keep the local totals") {
    const MeasureHistory merged = merge_history(
        local_history(), {point("ORS", "2026-03-10T10:00:00Z", 100), point("ORS", "2026-03-17T10:00:00Z", 300)}, "ORS",
        kOwnSite, "");
    CHECK(merged.intake_total == 180);
    CHECK(merged.previous_total == 220);
  }

  TEST_CASE("merge: a point repeated on two pages counts once") {
    const MeasureHistory merged = merge_history(MeasureHistory{},
                                                {point("ORS", "2026-03-01T00:00:00Z", 100, kOtherSite, "same"),
                                                 point("ORS", "2026-03-01T00:00:00Z", 100, kOtherSite, "same")},
                                                "ORS", kOwnSite, "");
    CHECK(merged.earlier_administrations == 1);
  }

  TEST_CASE("merge: an unreadable bound leaves the local history as it is") {
    const MeasureHistory merged =
        merge_history(local_history(), {point("ORS", "2026-03-01T00:00:00Z", 100)}, "ORS", kOwnSite, "now");
    CHECK(merged.earlier_administrations == 2);
    CHECK(merged.intake_total == 180);
  }

}
