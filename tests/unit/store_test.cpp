#include <doctest/doctest.h>
#include <sys/stat.h>

#include "store.hpp"
#include "test_support.hpp"
#include "uuid.hpp"

using namespace alliance;
using alliance::testing::TemporaryFolder;

namespace {

Administration administration(const std::string& session_id, MeasureKind kind, Tenths total,
                              const std::string& authored_at) {
  Administration result;
  result.administration_id = new_uuid();
  result.session_id = session_id;
  result.client_key = "Patient/pat-1";
  result.participant_id = "client-1";
  result.patient_reference = "Patient/pat-1";
  result.questionnaire = "q|1";
  result.authored_at = authored_at;
  result.age_years = 30;
  result.scored.kind = kind;
  result.scored.item_scores = {total / 4, total / 4, total / 4, total - 3 * (total / 4)};
  result.scored.total = total;
  result.scored.cutoff = 250;
  return result;
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  return status.st_mode & 0777;
}

}  // namespace

TEST_SUITE("store") {
  TEST_CASE("the database and its folder are private to the plugin's user") {
    TemporaryFolder folder;
    const auto path = folder.path() / "state" / "alliance.db";
    auto store = Store::open(path);
    store->save(administration("s1", MeasureKind::outcome_rating_scale, 200, "2026-11-02T15:00:00.000Z"));
    CHECK(mode_of(path) == 0600);
    CHECK(mode_of(path.parent_path()) == 0700);
    CHECK(mode_of(path.string() + "-wal") == 0600);
  }

  TEST_CASE("what was saved is there after the store is reopened") {
    TemporaryFolder folder;
    const auto path = folder.path() / "alliance.db";
    const Administration saved = administration("s1", MeasureKind::outcome_rating_scale, 213, "2026-11-02T15:00:00.000Z");
    CHECK(Store::open(path)->save(saved) == SaveOutcome::saved);
    auto reopened = Store::open(path);
    const auto rows = reopened->administrations_for("Patient/pat-1");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].administration_id == saved.administration_id);
    CHECK(rows[0].scored.total == 213);
    CHECK(rows[0].scored.item_scores == saved.scored.item_scores);
    CHECK(rows[0].scored.cutoff == 250);
    CHECK(reopened->count_in_state("pending") == 1);
  }

  TEST_CASE("one measure per participant per session: a second submission is not written") {
    TemporaryFolder folder;
    auto store = Store::open(folder.path() / "alliance.db");
    CHECK(store->save(administration("s1", MeasureKind::outcome_rating_scale, 200, "2026-11-02T15:00:00.000Z")) ==
          SaveOutcome::saved);
    CHECK(store->save(administration("s1", MeasureKind::outcome_rating_scale, 300, "2026-11-02T15:01:00.000Z")) ==
          SaveOutcome::already_saved);
    CHECK(store->save(administration("s1", MeasureKind::session_rating_scale, 380, "2026-11-02T16:00:00.000Z")) ==
          SaveOutcome::saved);
    const auto rows = store->administrations_for("Patient/pat-1");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].scored.total == 200);
  }

  TEST_CASE("history gives intake and previous and the number of earlier sessions") {
    TemporaryFolder folder;
    auto store = Store::open(folder.path() / "alliance.db");
    CHECK(store->history("Patient/pat-1", MeasureKind::outcome_rating_scale, "s1").earlier_sessions == 0);
    store->save(administration("s1", MeasureKind::outcome_rating_scale, 180, "2026-11-02T15:00:00.000Z"));
    store->save(administration("s1", MeasureKind::session_rating_scale, 370, "2026-11-02T16:00:00.000Z"));
    store->save(administration("s2", MeasureKind::outcome_rating_scale, 220, "2026-11-09T15:00:00.000Z"));
    const MeasureHistory history = store->history("Patient/pat-1", MeasureKind::outcome_rating_scale, "s3");
    CHECK(history.earlier_sessions == 2);
    CHECK(history.intake_total == 180);
    CHECK(history.previous_total == 220);
    CHECK(history.earlier_administrations == 2);
    // The current session's own rows do not count as history.
    const MeasureHistory during_s2 = store->history("Patient/pat-1", MeasureKind::outcome_rating_scale, "s2");
    CHECK(during_s2.earlier_sessions == 1);
    CHECK(during_s2.previous_total == 180);
    const MeasureHistory srs = store->history("Patient/pat-1", MeasureKind::session_rating_scale, "s3");
    CHECK(srs.previous_total == 370);
    CHECK(store->history("Patient/other", MeasureKind::outcome_rating_scale, "s3").earlier_sessions == 0);
  }

  TEST_CASE("a store that cannot be created says where and why") {
    TemporaryFolder folder;
    const auto blocked = folder.path() / "file";
    alliance::testing::write_file(blocked, "x");
    try {
      Store::open(blocked / "alliance.db");
      FAIL("expected a StoreError");
    } catch (const StoreError& error) {
      CHECK(std::string(error.what()).find((blocked / "alliance.db").string()) != std::string::npos);
    }
  }
}
