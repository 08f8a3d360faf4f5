#include <doctest/doctest.h>
#include <sys/stat.h>

#include "outbox_keys.hpp"
#include "store.hpp"
#include "test_support.hpp"
#include "utc_clock.hpp"
#include "uuid.hpp"

#include <fstream>

using namespace alliance;
using alliance::testing::TemporaryFolder;
using alliance::testing::write_key_file;

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
  result.measure_code = measure_code(kind);
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
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    const auto path = folder.path() / "state" / "alliance.db";
    auto store = Store::open(path, keys);
    store->save(administration("s1", MeasureKind::outcome_rating_scale, 200, "2026-11-02T15:00:00.000Z"));
    CHECK(mode_of(path) == 0600);
    CHECK(mode_of(path.parent_path()) == 0700);
    CHECK(mode_of(path.string() + "-wal") == 0600);
  }

  TEST_CASE("what was saved is there after the store is reopened") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    const auto path = folder.path() / "alliance.db";
    const Administration saved = administration("s1", MeasureKind::outcome_rating_scale, 213, "2026-11-02T15:00:00.000Z");
    CHECK(Store::open(path, keys)->save(saved) == SaveOutcome::saved);
    auto reopened = Store::open(path, keys);
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
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    auto store = Store::open(folder.path() / "alliance.db", keys);
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
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    auto store = Store::open(folder.path() / "alliance.db", keys);
    CHECK(store->history("Patient/pat-1", "ORS", "s1").earlier_sessions == 0);
    store->save(administration("s1", MeasureKind::outcome_rating_scale, 180, "2026-11-02T15:00:00.000Z"));
    store->save(administration("s1", MeasureKind::session_rating_scale, 370, "2026-11-02T16:00:00.000Z"));
    store->save(administration("s2", MeasureKind::outcome_rating_scale, 220, "2026-11-09T15:00:00.000Z"));
    const MeasureHistory history = store->history("Patient/pat-1", "ORS", "s3");
    CHECK(history.earlier_sessions == 2);
    CHECK(history.intake_total == 180);
    CHECK(history.previous_total == 220);
    CHECK(history.earlier_administrations == 2);
    // The current session's own rows do not count as history.
    const MeasureHistory during_s2 = store->history("Patient/pat-1", "ORS", "s2");
    CHECK(during_s2.earlier_sessions == 1);
    CHECK(during_s2.previous_total == 180);
    const MeasureHistory srs = store->history("Patient/pat-1", "SRS", "s3");
    CHECK(srs.previous_total == 370);
    CHECK(store->history("Patient/other", "ORS", "s3").earlier_sessions == 0);
  }

  TEST_CASE("a store that cannot be created says where and why") {
    TemporaryFolder folder;
    const auto blocked = folder.path() / "file";
    alliance::testing::write_file(blocked, "x");
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    try {
      Store::open(blocked / "alliance.db", keys);
      FAIL("expected a StoreError");
    } catch (const StoreError& error) {
      CHECK(std::string(error.what()).find((blocked / "alliance.db").string()) != std::string::npos);
    }
  }

  TEST_CASE("nothing that identifies the client or their answers is stored in clear") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    const auto path = folder.path() / "alliance.db";
    {
      auto store = Store::open(path, keys);
      Administration saved = administration("session-secret-1", MeasureKind::outcome_rating_scale, 287,
                                            "2026-11-02T15:00:00.000Z");
      saved.client_key = saved.patient_reference = "Patient/patient-secret-42";
      saved.participant_id = "participant-secret-7";
      saved.encounter_reference = "Encounter/encounter-secret-9";
      saved.scored.summary = "ORS 28.7 (session 1)";
      store->save(saved);
      store->record({{saved.administration_id, DeliveryRecord::State::failed, "2026-11-02T15:00:01.000Z", "",
                      "HTTP 422: Patient/patient-secret-42 not found", "", 422, "status=422 refused_by_server"}});
      CHECK(store->find(saved.administration_id)->last_error == "HTTP 422: Patient/patient-secret-42 not found");
      CHECK(store->history("Patient/patient-secret-42", "ORS", "s-next").intake_total == 287);
    }
    // Every byte of the database and its write-ahead log.
    std::string bytes;
    for (const auto& file : {path, std::filesystem::path(path.string() + "-wal")}) {
      if (!std::filesystem::exists(file)) continue;
      std::ifstream input(file, std::ios::binary);
      bytes += std::string(std::istreambuf_iterator<char>(input), {});
    }
    REQUIRE(bytes.size() > 1000);
    // Strings that random hex (ids, lookups) cannot spell by chance: a bare "287" could.
    for (const char* secret : {"secret", "28.7", "[71,71,71,74]", "\"total\":287"}) {
      CAPTURE(secret);
      CHECK(bytes.find(secret) == std::string::npos);
    }
  }

  TEST_CASE("delivery takes due rows in flight and records outcomes with their history") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    auto store = Store::open(folder.path() / "alliance.db", keys);
    const Administration first = administration("s1", MeasureKind::outcome_rating_scale, 200, "2026-11-02T15:00:00.000Z");
    const Administration second = administration("s1", MeasureKind::session_rating_scale, 380, "2026-11-02T16:00:00.000Z");
    store->save(first);
    store->save(second);
    auto taken = store->take_due("2026-11-02T16:00:01.000Z", 1);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].administration.administration_id == first.administration_id);
    CHECK(taken[0].administration.scored.total == 200);
    CHECK(store->count_in_state("in_flight") == 1);
    CHECK(store->take_due("2026-11-02T16:00:01.000Z", 5).size() == 1);  // only the other one is left
    CHECK(store->count_in_state("in_flight") == 2);

    store->record({{first.administration_id, DeliveryRecord::State::pending, "2026-11-02T16:00:02.000Z",
                    "2026-11-02T16:05:00.000Z", "HTTP 503: busy", "", 503, "status=503 retry_after_seconds=0"},
                   {second.administration_id, DeliveryRecord::State::delivered, "2026-11-02T16:00:02.000Z", "", "",
                    R"([{"id":"7","status":201,"type":"QuestionnaireResponse"}])", 200, "delivered"}});
    CHECK(store->count_in_state("pending") == 1);
    CHECK(store->count_in_state("delivered") == 1);
    CHECK(store->next_attempt_time() == "2026-11-02T16:05:00.000Z");
    CHECK(store->take_due("2026-11-02T16:04:59.000Z", 5).empty());  // not due yet
    const auto retried = store->find(first.administration_id);
    CHECK(retried->delivery_attempts == 1);
    CHECK(retried->last_error == "HTTP 503: busy");
    const auto history = store->attempts_of(first.administration_id);
    REQUIRE(history.size() == 1);
    CHECK(history[0].outcome == "retry");
    CHECK(history[0].http_status == 503);

    // A process that stopped with work in flight: it is pending again at the next start.
    store->take_due("2026-11-02T16:06:00.000Z", 5);
    CHECK(store->count_in_state("in_flight") == 1);
    CHECK(store->reset_in_flight() == 1);
    CHECK(store->count_in_state("pending") == 1);
  }

  TEST_CASE("failed rows are retried on request") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    auto store = Store::open(folder.path() / "alliance.db", keys);
    const Administration saved = administration("s1", MeasureKind::outcome_rating_scale, 200, "2026-11-02T15:00:00.000Z");
    store->save(saved);
    store->take_due("2026-11-02T15:00:01.000Z", 1);
    store->record({{saved.administration_id, DeliveryRecord::State::failed, "2026-11-02T15:00:02.000Z", "",
                    "HTTP 422: invalid", "", 422, "status=422 refused_by_server"}});
    CHECK(store->take_due("2026-11-03T00:00:00.000Z", 5).empty());
    CHECK(store->retry_failed() == 1);
    CHECK(store->take_due("2026-11-03T00:00:00.000Z", 5).size() == 1);
  }

  TEST_CASE("retention drops delivered payloads and old trend scores") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    auto store = Store::open(folder.path() / "alliance.db", keys);
    const Administration old = administration("s1", MeasureKind::outcome_rating_scale, 200, "2026-01-02T15:00:00.000Z");
    const Administration recent = administration("s2", MeasureKind::outcome_rating_scale, 250, "2026-11-01T15:00:00.000Z");
    store->save(old);
    store->save(recent);
    store->take_due("2026-11-02T00:00:00.000Z", 5);
    store->record({{old.administration_id, DeliveryRecord::State::delivered, "2026-01-02T15:00:01.000Z", "", "", "[]",
                    200, "delivered"},
                   {recent.administration_id, DeliveryRecord::State::delivered, "2026-11-01T15:00:01.000Z", "", "",
                    "[]", 200, "delivered"}});
    const auto now = *parse_utc("2026-11-02T00:00:00.000Z");
    const Store::PurgeCounts counts = store->purge(now, std::chrono::hours(24 * 30), std::chrono::hours(24 * 200));
    CHECK(counts.payloads == 1);
    CHECK(counts.trend_rows == 1);
    CHECK(store->find(old.administration_id)->payload_purged);
    CHECK(store->find(old.administration_id)->delivery_state == "delivered");
    CHECK_FALSE(store->find(recent.administration_id)->payload_purged);
    const MeasureHistory history = store->history("Patient/pat-1", "ORS", "s3");
    CHECK(history.intake_total == 250);  // the old score has left the trend
  }

  TEST_CASE("after a key rotation old rows open with the retired key") {
    TemporaryFolder folder;
    const auto first_key = write_key_file(folder.path(), "first.key");
    const auto second_key = write_key_file(folder.path(), "second.key");
    const auto path = folder.path() / "alliance.db";
    const Administration before = administration("s1", MeasureKind::outcome_rating_scale, 200, "2026-11-02T15:00:00.000Z");
    {
      const OutboxKeys keys = OutboxKeys::load(first_key);
      Store::open(path, keys)->save(before);
    }
    const OutboxKeys rotated = OutboxKeys::load(second_key, {first_key});
    auto store = Store::open(path, rotated);
    const Administration after = administration("s2", MeasureKind::outcome_rating_scale, 260, "2026-11-09T15:00:00.000Z");
    store->save(after);
    CHECK(store->find(before.administration_id)->administration.scored.total == 200);
    const MeasureHistory history = store->history("Patient/pat-1", "ORS", "s3");
    CHECK(history.intake_total == 200);
    CHECK(history.previous_total == 260);
    CHECK(history.earlier_sessions == 2);
    // Without the retired key the old row cannot be opened, and says so by being empty.
    const OutboxKeys only_new = OutboxKeys::load(second_key);
    auto without = Store::open(path, only_new);
    CHECK(without->find(before.administration_id)->administration.session_id.empty());
  }
}
