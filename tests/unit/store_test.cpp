#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "store/administration_codec.hpp"
#include "store/outbox_keys.hpp"
#include "store/store.hpp"
#include "test_support.hpp"
#include "reading/utc_clock.hpp"
#include "mapping/uuid.hpp"

#include <fstream>

using namespace alliance;
using alliance::testing::database_file_bytes;
using alliance::testing::seal_as_release_0_1;
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

// The schema of version 1 (before "store schema 2"), as it was written to disk: the
// measure columns took only ORS and SRS.
constexpr const char* kSchemaVersion1 = R"SQL(
CREATE TABLE IF NOT EXISTS outbox (
  administration_id  TEXT PRIMARY KEY,
  submission_key     TEXT NOT NULL UNIQUE,
  measure            TEXT NOT NULL CHECK (measure IN ('ORS', 'SRS')),
  created_at         TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  payload            BLOB,
  delivery_state     TEXT NOT NULL DEFAULT 'pending'
                     CHECK (delivery_state IN ('pending', 'in_flight', 'delivered', 'failed')),
  delivery_attempts  INTEGER NOT NULL DEFAULT 0,
  next_attempt_at    TEXT NOT NULL DEFAULT '',
  last_error         BLOB,
  last_error_key_id  TEXT NOT NULL DEFAULT '',
  server_resources   TEXT NOT NULL DEFAULT '',
  delivered_at       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (delivery_state, next_attempt_at);
CREATE TABLE IF NOT EXISTS delivery_attempts (
  administration_id  TEXT NOT NULL REFERENCES outbox (administration_id) ON DELETE CASCADE,
  attempted_at       TEXT NOT NULL,
  outcome            TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  http_status        INTEGER NOT NULL,
  reason             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS delivery_attempts_by_administration ON delivery_attempts (administration_id);
CREATE TABLE IF NOT EXISTS trend (
  administration_id  TEXT PRIMARY KEY,
  client_lookup      TEXT NOT NULL,
  session_lookup     TEXT NOT NULL,
  measure            TEXT NOT NULL CHECK (measure IN ('ORS', 'SRS')),
  authored_at        TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  scores             BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS trend_by_client ON trend (client_lookup, measure, authored_at);
PRAGMA user_version = 1;
)SQL";

// The schema of version 2 (release 0.1, the last before sealed values were bound to
// their column and key), as it was written to disk.
constexpr const char* kSchemaVersion2 = R"SQL(
CREATE TABLE outbox (
  administration_id  TEXT PRIMARY KEY,
  submission_key     TEXT NOT NULL UNIQUE,
  measure            TEXT NOT NULL CHECK (measure <> ''),
  created_at         TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  payload            BLOB,
  delivery_state     TEXT NOT NULL DEFAULT 'pending'
                     CHECK (delivery_state IN ('pending', 'in_flight', 'delivered', 'failed')),
  delivery_attempts  INTEGER NOT NULL DEFAULT 0,
  next_attempt_at    TEXT NOT NULL DEFAULT '',
  last_error         BLOB,
  last_error_key_id  TEXT NOT NULL DEFAULT '',
  server_resources   TEXT NOT NULL DEFAULT '',
  delivered_at       TEXT NOT NULL DEFAULT ''
);
CREATE TABLE trend (
  administration_id  TEXT PRIMARY KEY,
  client_lookup      TEXT NOT NULL,
  session_lookup     TEXT NOT NULL,
  measure            TEXT NOT NULL CHECK (measure <> ''),
  authored_at        TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  scores             BLOB NOT NULL
);
CREATE INDEX outbox_due ON outbox (delivery_state, next_attempt_at);
CREATE TABLE delivery_attempts (
  administration_id  TEXT NOT NULL REFERENCES outbox (administration_id) ON DELETE CASCADE,
  attempted_at       TEXT NOT NULL,
  outcome            TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  http_status        INTEGER NOT NULL,
  reason             TEXT NOT NULL
);
CREATE INDEX delivery_attempts_by_administration ON delivery_attempts (administration_id);
CREATE INDEX trend_by_client ON trend (client_lookup, measure, authored_at);
PRAGMA user_version = 2;
)SQL";

// A raw SQLite connection for writing files as older (or newer) versions did.
struct RawDatabase {
  sqlite3* database = nullptr;
  explicit RawDatabase(const std::filesystem::path& path) {
    REQUIRE(sqlite3_open(path.c_str(), &database) == SQLITE_OK);
  }
  ~RawDatabase() { sqlite3_close(database); }
  RawDatabase(const RawDatabase&) = delete;
  RawDatabase& operator=(const RawDatabase&) = delete;

  void execute(const std::string& sql) {
    char* message = nullptr;
    const int status = sqlite3_exec(database, sql.c_str(), nullptr, nullptr, &message);
    const std::string reason = message ? message : "";
    sqlite3_free(message);
    REQUIRE_MESSAGE(status == SQLITE_OK, reason);
  }
  // Runs `sql` with text and blob parameters, in order.
  void insert(const std::string& sql, const std::vector<std::pair<bool, std::string>>& values) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(database, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    int index = 1;
    for (const auto& [blob, value] : values) {
      if (blob) {
        sqlite3_bind_blob(statement, index++, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_text(statement, index++, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
      }
    }
    const int status = sqlite3_step(statement);
    sqlite3_finalize(statement);
    REQUIRE_MESSAGE(status == SQLITE_DONE, sqlite3_errmsg(database));
  }
  // The number of rows a query returns.
  int count_rows(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(database, sql, -1, &statement, nullptr) == SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(statement) == SQLITE_ROW) ++rows;
    sqlite3_finalize(statement);
    return rows;
  }
  // The first column of the first row `sql` returns, as bytes.
  std::string value(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(database, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    std::string bytes;
    if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_blob(statement, 0) != nullptr) {
      bytes.assign(static_cast<const char*>(sqlite3_column_blob(statement, 0)),
                   static_cast<std::size_t>(sqlite3_column_bytes(statement, 0)));
    }
    sqlite3_finalize(statement);
    return bytes;
  }
  int user_version() {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(database, "PRAGMA user_version", -1, &statement, nullptr) == SQLITE_OK);
    const int version = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int(statement, 0) : -1;
    sqlite3_finalize(statement);
    return version;
  }
};

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

  TEST_CASE("a store another connection holds refuses writes with StoreBusy, and takes the same write later") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    const auto path = folder.path() / "alliance.db";
    auto store = Store::open(path, keys);
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &other, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    const Administration waiting = administration("s1", MeasureKind::outcome_rating_scale, 213, "2026-11-02T15:00:00.000Z");
    CHECK_THROWS_AS(store->save(waiting), StoreBusy);                  // after the busy timeout
    CHECK_THROWS_AS(store->take_due("9999-01-01T00:00:00Z", 4), StoreBusy);
    CHECK(store->count_in_state("pending") == 0);                      // reads still work (WAL)
    REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    CHECK(store->save(waiting) == SaveOutcome::saved);
    CHECK(store->count_in_state("pending") == 1);
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

  TEST_CASE("a version 1 store is upgraded and keeps its rows and their history") {
    TemporaryFolder folder;
    const auto key_file = write_key_file(folder.path());
    const OutboxKeys keys = OutboxKeys::load(key_file);
    const auto path = folder.path() / "alliance.db";
    // Version 1 wrote rows sealed the same way; this one has been tried once (503).
    const Administration old = administration("s0", MeasureKind::outcome_rating_scale, 190, "2026-10-26T15:00:00.000Z");
    {
      RawDatabase raw(path);
      raw.execute(kSchemaVersion1);
      raw.insert(R"SQL(INSERT INTO outbox (administration_id, submission_key, measure, created_at, key_id, payload,
                         delivery_state, delivery_attempts, next_attempt_at, last_error, last_error_key_id)
                       VALUES (?1, ?2, 'ORS', ?3, ?4, ?5, 'pending', 1, '2026-10-26T15:05:00.000Z', ?6, ?4))SQL",
                 {{false, old.administration_id},
                  {false, keys.lookup(old.session_id + "\n" + old.participant_id + "\nORS")},
                  {false, old.authored_at},
                  {false, keys.current_key_id()},
                  {true, seal_as_release_0_1(key_file, encode_administration(old), old.administration_id)},
                  {true, seal_as_release_0_1(key_file, "HTTP 503: busy", old.administration_id)}});
      raw.insert(R"SQL(INSERT INTO delivery_attempts (administration_id, attempted_at, outcome, http_status, reason)
                       VALUES (?1, '2026-10-26T15:00:01.000Z', 'retry', 503, 'status=503 retry_after_seconds=0'))SQL",
                 {{false, old.administration_id}});
      raw.insert(R"SQL(INSERT INTO trend (administration_id, client_lookup, session_lookup, measure, authored_at,
                         key_id, scores) VALUES (?1, ?2, ?3, 'ORS', ?4, ?5, ?6))SQL",
                 {{false, old.administration_id},
                  {false, keys.lookup(old.client_key)},
                  {false, keys.lookup(old.session_id)},
                  {false, old.authored_at},
                  {false, keys.current_key_id()},
                  {true, seal_as_release_0_1(key_file, R"({"total":190,"items":[47,47,47,49],"session_number":1,"cutoff":250})",
                                             old.administration_id)}});
      // The old schema refuses a child measure: the reason for version 2.
      char* message = nullptr;
      CHECK(sqlite3_exec(raw.database,
                         "INSERT INTO outbox (administration_id, submission_key, measure, created_at, key_id) "
                         "VALUES ('x', 'x', 'CORS', '', '')",
                         nullptr, nullptr, &message) != SQLITE_OK);
      sqlite3_free(message);
      CHECK(raw.user_version() == 1);
    }
    {
      auto store = Store::open(path, keys);
      const auto rows = store->all();
      REQUIRE(rows.size() == 1);
      CHECK(rows[0].administration.administration_id == old.administration_id);
      CHECK(rows[0].administration.session_id == "s0");
      CHECK(rows[0].administration.scored.total == 190);
      CHECK(rows[0].measure == "ORS");
      CHECK(rows[0].delivery_state == "pending");
      CHECK(rows[0].delivery_attempts == 1);
      CHECK(rows[0].last_error == "HTTP 503: busy");
      CHECK(store->count_in_state("pending") == 1);
      CHECK(store->next_attempt_time() == "2026-10-26T15:05:00.000Z");
      const auto attempts = store->attempts_of(old.administration_id);
      REQUIRE(attempts.size() == 1);
      CHECK(attempts[0].outcome == "retry");
      CHECK(attempts[0].http_status == 503);
      CHECK(attempts[0].reason == "status=503 retry_after_seconds=0");
      CHECK(store->history("Patient/pat-1", "ORS", "s1").intake_total == 190);

      // Version 2 takes the child measures.
      Administration child = administration("s1", MeasureKind::outcome_rating_scale, 280, "2026-11-02T15:00:00.000Z");
      child.measure_code = "CORS";
      CHECK(store->save(child) == SaveOutcome::saved);
      CHECK(store->find(child.administration_id)->measure == "CORS");
      CHECK(store->history("Patient/pat-1", "CORS", "s2").intake_total == 280);
      CHECK(store->count_in_state("pending") == 2);
      // The attempt history still belongs to its row.
      store->take_due("2026-11-02T16:00:00.000Z", 5);
      store->record({{old.administration_id, DeliveryRecord::State::delivered, "2026-11-02T16:00:01.000Z", "", "",
                      "[]", 200, "delivered"}});
      CHECK(store->attempts_of(old.administration_id).size() == 2);
    }
    RawDatabase raw(path);
    CHECK(raw.user_version() == 3);
    // The rebuilt tables kept every reference and constraint: nothing dangles, and the
    // attempts still point at the new outbox.
    CHECK(raw.count_rows("PRAGMA foreign_key_check") == 0);
    CHECK(raw.count_rows("SELECT 1 FROM pragma_foreign_key_list('delivery_attempts') WHERE \"table\" = 'outbox'") == 1);
    CHECK(raw.count_rows("SELECT name FROM sqlite_master WHERE name LIKE '%_v2'") == 0);
    CHECK(raw.count_rows("SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('outbox_due', "
                         "'trend_by_client', 'delivery_attempts_by_administration')") == 3);
    // Opening again leaves an up-to-date file as it is.
    CHECK(Store::open(path, keys)->all().size() == 2);
  }

  TEST_CASE("a store written by a newer Alliance is refused") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    const auto path = folder.path() / "alliance.db";
    {
      RawDatabase raw(path);
      raw.execute("CREATE TABLE future (x TEXT); PRAGMA user_version = 4;");
    }
    try {
      Store::open(path, keys);
      FAIL("expected a StoreError");
    } catch (const StoreError& error) {
      const std::string message = error.what();
      CAPTURE(message);
      CHECK(message.find("written by a newer Alliance") != std::string::npos);
      CHECK(message.find("schema 4") != std::string::npos);
    }
    // The file is left as it was.
    RawDatabase raw(path);
    CHECK(raw.user_version() == 4);
  }

  TEST_CASE("history is kept per measure code") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    auto store = Store::open(folder.path() / "alliance.db", keys);
    struct Saved {
      const char* session;
      const char* code;
      MeasureKind kind;
      Tenths total;
      const char* at;
    };
    const Saved saved[] = {
        {"s1", "ORS", MeasureKind::outcome_rating_scale, 180, "2026-11-02T15:00:00.000Z"},
        {"s1", "SRS", MeasureKind::session_rating_scale, 370, "2026-11-02T16:00:00.000Z"},
        {"s2", "CORS", MeasureKind::outcome_rating_scale, 300, "2026-11-09T15:00:00.000Z"},
        {"s3", "ORS", MeasureKind::outcome_rating_scale, 220, "2026-11-16T15:00:00.000Z"},
        {"s3", "GSRS", MeasureKind::session_rating_scale, 390, "2026-11-16T16:00:00.000Z"},
    };
    for (const Saved& row : saved) {
      Administration administered = administration(row.session, row.kind, row.total, row.at);
      administered.measure_code = row.code;
      CAPTURE(row.code);
      CHECK(store->save(administered) == SaveOutcome::saved);
    }
    struct Expected {
      const char* code;
      int administrations;
      std::optional<Tenths> intake;
      std::optional<Tenths> previous;
    };
    const Expected expected[] = {
        {"ORS", 2, 180, 220}, {"CORS", 1, 300, 300},  {"SRS", 1, 370, 370},
        {"GSRS", 1, 390, 390}, {"YCORS", 0, std::nullopt, std::nullopt}, {"CSRS", 0, std::nullopt, std::nullopt},
    };
    for (const Expected& row : expected) {
      CAPTURE(row.code);
      const MeasureHistory history = store->history("Patient/pat-1", row.code, "s4");
      CHECK(history.earlier_administrations == row.administrations);
      CHECK(history.intake_total == row.intake);
      CHECK(history.previous_total == row.previous);
      CHECK(history.earlier_sessions == 3);  // sessions with any measure
    }
  }

  TEST_CASE("a stopped administration is kept in the outbox and adds nothing to the trend") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    auto store = Store::open(folder.path() / "alliance.db", keys);
    Administration stopped = administration("s1", MeasureKind::outcome_rating_scale, 0, "2026-11-02T15:00:00.000Z");
    stopped.measure_code = "CORS";
    stopped.status = "stopped";
    stopped.not_completed_reason = "declined";
    stopped.scored = {};
    CHECK(store->save(stopped) == SaveOutcome::saved);
    const auto kept = store->find(stopped.administration_id);
    REQUIRE(kept);
    CHECK(kept->measure == "CORS");
    CHECK(kept->delivery_state == "pending");
    CHECK(kept->administration.status == "stopped");
    CHECK(kept->administration.not_completed_reason == "declined");
    const MeasureHistory nothing = store->history("Patient/pat-1", "CORS", "s2");
    CHECK(nothing.earlier_administrations == 0);
    CHECK(nothing.earlier_sessions == 0);
    CHECK_FALSE(nothing.intake_total);
    CHECK(store->administrations_for("Patient/pat-1").empty());

    // The client changes their mind in the same session: the completed one is saved too.
    Administration completed = administration("s1", MeasureKind::outcome_rating_scale, 260, "2026-11-02T15:10:00.000Z");
    completed.measure_code = "CORS";
    CHECK(store->save(completed) == SaveOutcome::saved);
    CHECK(store->all().size() == 2);
    CHECK(store->count_in_state("pending") == 2);
    const MeasureHistory later = store->history("Patient/pat-1", "CORS", "s2");
    CHECK(later.earlier_administrations == 1);
    CHECK(later.intake_total == 260);
    const auto trend = store->administrations_for("Patient/pat-1");
    REQUIRE(trend.size() == 1);
    CHECK(trend[0].administration_id == completed.administration_id);
    // A second stop of the same measure in the same session is not written again.
    Administration again = stopped;
    again.administration_id = new_uuid();
    CHECK(store->save(again) == SaveOutcome::already_saved);
  }

  TEST_CASE("a sealed value copied into another column or another row does not open") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    const auto path = folder.path() / "alliance.db";
    const Administration first = administration("s1", MeasureKind::outcome_rating_scale, 200, "2026-11-02T15:00:00.000Z");
    const Administration second = administration("s2", MeasureKind::outcome_rating_scale, 250, "2026-11-09T15:00:00.000Z");
    {
      auto store = Store::open(path, keys);
      store->save(first);
      store->save(second);
      store->take_due("2026-11-10T00:00:00.000Z", 5);
      store->record({{first.administration_id, DeliveryRecord::State::failed, "2026-11-10T00:00:01.000Z", "",
                      "HTTP 422: refused", "", 422, "status=422"}});
      CHECK(store->find(first.administration_id)->last_error == "HTTP 422: refused");
    }
    const std::string first_id = "'" + first.administration_id + "'";
    const std::string second_id = "'" + second.administration_id + "'";
    const auto opened_last_error = [&] { return Store::open(path, keys)->find(first.administration_id)->last_error; };
    {
      // The payload (the client's answers and chart references) as the row's last error,
      // which alliancectl show prints.
      RawDatabase raw(path);
      raw.execute("UPDATE outbox SET last_error = payload, last_error_key_id = key_id WHERE administration_id = " +
                  first_id);
    }
    std::string shown = opened_last_error();
    CAPTURE(shown);
    CHECK(shown.find("Patient/pat-1") == std::string::npos);
    CHECK(shown.find("cannot be opened") != std::string::npos);
    {
      // The trend's scores as the last error.
      RawDatabase raw(path);
      raw.execute("UPDATE outbox SET last_error = (SELECT scores FROM trend WHERE administration_id = " + first_id +
                  "), last_error_key_id = key_id WHERE administration_id = " + first_id);
    }
    shown = opened_last_error();
    CHECK(shown.find("total") == std::string::npos);
    {
      // Another row's payload and scores.
      RawDatabase raw(path);
      raw.execute("UPDATE outbox SET payload = (SELECT payload FROM outbox WHERE administration_id = " + first_id +
                  ") WHERE administration_id = " + second_id);
      raw.execute("UPDATE trend SET scores = (SELECT scores FROM trend WHERE administration_id = " + first_id +
                  ") WHERE administration_id = " + second_id);
    }
    auto store = Store::open(path, keys);
    CHECK(store->find(second.administration_id)->administration.session_id.empty());
    const std::vector<TrendPoint> points = store->trend("Patient/pat-1");
    REQUIRE(points.size() == 1);  // the copied scores do not open in the second row
    CHECK(points[0].total == 200);
  }

  TEST_CASE("rows of the previous release (schema 2, sealed with the row id only) still open after the upgrade") {
    TemporaryFolder folder;
    const auto key_file = write_key_file(folder.path());
    const auto retired_key_file = write_key_file(folder.path(), "retired.key");
    const auto path = folder.path() / "alliance.db";
    const Administration old = administration("s0", MeasureKind::outcome_rating_scale, 190, "2026-10-26T15:00:00.000Z");
    const Administration older = administration("s9", MeasureKind::outcome_rating_scale, 150, "2026-09-26T15:00:00.000Z");
    {
      const OutboxKeys keys = OutboxKeys::load(key_file);
      const OutboxKeys retired = OutboxKeys::load(retired_key_file);
      RawDatabase raw(path);
      raw.execute(kSchemaVersion2);
      // One row under the current key, one under a key that is not configured at the
      // upgrade (it comes back later as a retired key).
      for (const auto& [row, file, key_id] : {std::tuple{old, key_file, keys.current_key_id()},
                                              std::tuple{older, retired_key_file, retired.current_key_id()}}) {
        raw.insert(R"SQL(INSERT INTO outbox (administration_id, submission_key, measure, created_at, key_id, payload,
                           delivery_state, delivery_attempts, last_error, last_error_key_id)
                         VALUES (?1, ?2, 'ORS', ?3, ?4, ?5, 'failed', 1, ?6, ?4))SQL",
                   {{false, row.administration_id},
                    {false, row.administration_id},
                    {false, row.authored_at},
                    {false, key_id},
                    {true, seal_as_release_0_1(file, encode_administration(row), row.administration_id)},
                    {true, seal_as_release_0_1(file, "HTTP 422: refused", row.administration_id)}});
        raw.insert(R"SQL(INSERT INTO trend (administration_id, client_lookup, session_lookup, measure, authored_at,
                           key_id, scores) VALUES (?1, ?2, ?3, 'ORS', ?4, ?5, ?6))SQL",
                   {{false, row.administration_id},
                    {false, (file == key_file ? keys : retired).lookup(row.client_key)},
                    {false, (file == key_file ? keys : retired).lookup(row.session_id)},
                    {false, row.authored_at},
                    {false, key_id},
                    {true, seal_as_release_0_1(file, R"({"total":)" + std::to_string(row.scored.total) + "}",
                                               row.administration_id)}});
      }
    }
    {
      const OutboxKeys keys = OutboxKeys::load(key_file);
      auto store = Store::open(path, keys);
      const auto found = store->find(old.administration_id);
      REQUIRE(found);
      CHECK(found->administration.session_id == "s0");
      CHECK(found->last_error == "HTTP 422: refused");
      CHECK(store->history("Patient/pat-1", "ORS", "s1").intake_total == 190);
      // New rows are sealed the new way and open beside the old ones.
      const Administration fresh = administration("s1", MeasureKind::outcome_rating_scale, 230, "2026-11-02T15:00:00.000Z");
      CHECK(store->save(fresh) == SaveOutcome::saved);
      CHECK(store->find(fresh.administration_id)->administration.scored.total == 230);
    }
    {
      RawDatabase raw(path);
      CHECK(raw.user_version() == 3);
      // The upgrade sealed again what it could open: the old row is bound to its
      // column now, and its payload no longer opens as its last error.
      raw.execute("UPDATE outbox SET last_error = payload, last_error_key_id = key_id WHERE administration_id = '" +
                  old.administration_id + "'");
    }
    // The row whose key was missing at the upgrade opens once that key is configured.
    const OutboxKeys both = OutboxKeys::load(key_file, {retired_key_file});
    auto store = Store::open(path, both);
    CHECK(store->find(old.administration_id)->last_error.find("Patient/pat-1") == std::string::npos);
    const auto kept = store->find(older.administration_id);
    REQUIRE(kept);
    CHECK(kept->administration.session_id == "s9");
    CHECK(kept->last_error == "HTTP 422: refused");
    CHECK(store->trend("Patient/pat-1").size() == 3);
  }

  TEST_CASE("purged payloads and trend scores leave none of their sealed bytes in the database file") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    const auto path = folder.path() / "alliance.db";
    const Administration old = administration("s1", MeasureKind::outcome_rating_scale, 200, "2026-01-02T15:00:00.000Z");
    {
      auto store = Store::open(path, keys);
      store->save(old);
      store->take_due("2026-01-03T00:00:00.000Z", 5);
      store->record({{old.administration_id, DeliveryRecord::State::delivered, "2026-01-02T15:00:01.000Z", "", "",
                      "[]", 200, "delivered"}});
    }
    std::string payload, scores;
    {
      RawDatabase raw(path);
      payload = raw.value("SELECT payload FROM outbox");
      scores = raw.value("SELECT scores FROM trend");
    }
    REQUIRE(payload.size() > 100);
    REQUIRE(scores.size() > 40);
    // The ciphertext, past the nonce: 32 bytes of it are unmistakable.
    const std::string payload_part = payload.substr(payload.size() / 2, 32);
    const std::string scores_part = scores.substr(scores.size() - 40, 32);
    REQUIRE(database_file_bytes(path).find(payload_part) != std::string::npos);
    {
      auto store = Store::open(path, keys);
      const Store::PurgeCounts counts = store->purge(*parse_utc("2026-11-02T00:00:00.000Z"),
                                                     std::chrono::hours(24 * 30), std::chrono::hours(24 * 200));
      CHECK(counts.payloads == 1);
      CHECK(counts.trend_rows == 1);
      // Also while the store is still open (the plugin keeps it open for days).
      const std::string bytes = database_file_bytes(path);
      CHECK_MESSAGE(bytes.find(payload_part) == std::string::npos, "the purged payload is still in the file");
      CHECK_MESSAGE(bytes.find(scores_part) == std::string::npos, "the purged scores are still in the file");
    }
    const std::string bytes = database_file_bytes(path);
    CHECK_MESSAGE(bytes.find(payload_part) == std::string::npos, "the purged payload is still in the file");
    CHECK_MESSAGE(bytes.find(scores_part) == std::string::npos, "the purged scores are still in the file");
  }
}
