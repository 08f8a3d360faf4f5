#include "store/store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "store/administration_codec.hpp"
#include "reading/utc_clock.hpp"

namespace alliance {

using nlohmann::json;

namespace {

// Version 2: `measure` holds any PCOMS measure code (ORS, CORS, GSRS, ...), checked by
// the plugin; version 1 allowed only ORS and SRS (the tables are rebuilt, below).
// Version 3: every sealed value is bound to its table, column, row and key id
// (outbox_keys.hpp), and says so in its *_format column (kSealedInPlace). Release 0.1
// (versions 1 and 2) bound only the row id; the upgrade seals again every such value
// whose key is configured, and marks the others kSealedByRelease01 (the column's
// default), which are read the old way if their key comes back.
constexpr int kSchemaVersion = 3;
constexpr int kSealedByRelease01 = 1;
constexpr int kSealedInPlace = 2;

constexpr const char* kOutboxTable = R"SQL(
CREATE TABLE IF NOT EXISTS outbox (
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
))SQL";

constexpr const char* kTrendTable = R"SQL(
CREATE TABLE IF NOT EXISTS trend (
  administration_id  TEXT PRIMARY KEY,
  client_lookup      TEXT NOT NULL,
  session_lookup     TEXT NOT NULL,
  measure            TEXT NOT NULL CHECK (measure <> ''),
  authored_at        TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  scores             BLOB NOT NULL
))SQL";

// Version 3's columns, added to the tables of version 2 (kOutboxTable, kTrendTable).
constexpr const char* kSealedFormatColumns = R"SQL(
ALTER TABLE outbox ADD COLUMN payload_format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN last_error_format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE trend ADD COLUMN scores_format INTEGER NOT NULL DEFAULT 1;
)SQL";

constexpr const char* kSchema = R"SQL(
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (delivery_state, next_attempt_at);
CREATE TABLE IF NOT EXISTS delivery_attempts (
  administration_id  TEXT NOT NULL REFERENCES outbox (administration_id) ON DELETE CASCADE,
  attempted_at       TEXT NOT NULL,
  outcome            TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  http_status        INTEGER NOT NULL,
  reason             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS delivery_attempts_by_administration ON delivery_attempts (administration_id);
CREATE INDEX IF NOT EXISTS trend_by_client ON trend (client_lookup, measure, authored_at);
)SQL";

// A table's definition under another name, for SQLite's way of changing a
// constraint: create the new table, copy, drop the old one, rename the new one.
std::string renamed(const char* definition, const std::string& from, const std::string& to) {
  std::string text = definition;
  const std::string pattern = "CREATE TABLE IF NOT EXISTS " + from + " (";
  text.replace(text.find(pattern), pattern.size(), "CREATE TABLE " + to + " (");
  return text;
}

constexpr const char* kOutboxColumns =
    " administration_id, measure, key_id, payload, delivery_state, delivery_attempts, next_attempt_at, last_error,"
    " server_resources, delivered_at, last_error_key_id, payload_format, last_error_format ";

// The places of the sealed values, authenticated with them.
OutboxKeys::SealedField payload_of(const std::string& administration_id) {
  return {"outbox", "payload", administration_id};
}
OutboxKeys::SealedField last_error_of(const std::string& administration_id) {
  return {"outbox", "last_error", administration_id};
}
OutboxKeys::SealedField scores_of(const std::string& administration_id) {
  return {"trend", "scores", administration_id};
}

}  // namespace

namespace {

// SQLITE_BUSY or SQLITE_LOCKED, with or without an extended code.
bool is_busy(int status) {
  const int primary = status & 0xFF;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

[[noreturn]] void throw_store_error(int status, const std::string& reason) {
  if (is_busy(status)) throw StoreBusy(reason);
  throw StoreError(reason);
}

}  // namespace

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* database, const std::string& sql) : database_(database) {
    if (const int status = sqlite3_prepare_v2(database, sql.c_str(), -1, &statement_, nullptr); status != SQLITE_OK) {
      throw_store_error(status, std::string("cannot prepare a statement: ") + sqlite3_errmsg(database));
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const std::string& value) {
    check(sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(int index, int value) {
    check(sqlite3_bind_int(statement_, index, value));
    return *this;
  }
  Statement& bind_blob(int index, const std::string& value) {
    check(sqlite3_bind_blob(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
  }
  // True while there is a row; false when done. Throws on errors.
  bool step() {
    const int status = sqlite3_step(statement_);
    if (status == SQLITE_ROW) return true;
    if (status == SQLITE_DONE) return false;
    throw_store_error(status, std::string("database step failed: ") + sqlite3_errmsg(database_));
  }
  void reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  int column_int(int column) { return sqlite3_column_int(statement_, column); }
  bool column_is_null(int column) { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::string column_text(int column) {
    const auto* text = sqlite3_column_blob(statement_, column);
    return text ? std::string(static_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(statement_, column)))
                : std::string();
  }

 private:
  void check(int status) {
    if (status != SQLITE_OK) throw StoreError(std::string("cannot bind a value: ") + sqlite3_errmsg(database_));
  }
  sqlite3* database_;
  sqlite3_stmt* statement_ = nullptr;
};

namespace {

// Creates the file 0600 before SQLite opens it, so that the store is never readable
// by others, not even for a moment. SQLite gives the -wal and -shm files the same mode.
void create_private_file(const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  std::error_code error;
  if (!parent.empty() && !std::filesystem::exists(parent, error)) {
    std::filesystem::create_directories(parent, error);
    if (error) throw StoreError("cannot create the folder " + parent.string() + ": " + error.message());
    std::filesystem::permissions(parent, std::filesystem::perms::owner_all, error);
  }
  const int descriptor = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (descriptor < 0) {
    const int failure = errno;
    std::string reason = "cannot create " + path.string() + ": " + std::strerror(failure);
    // Typically the package made the folder for root and the host runs as another account.
    if (failure == EACCES || failure == EPERM) {
      reason += " (the account the host runs as must own " + (parent.empty() ? path : parent).string() +
                " and the files in it: chown -R it, keep the folder's mode 700)";
    }
    throw StoreError(reason);
  }
  ::close(descriptor);
}

// "?1, ?2, ..." for an IN list starting at parameter `first`.
std::string placeholders(int first, size_t count) {
  std::string text;
  for (size_t index = 0; index < count; ++index) {
    if (index > 0) text += ", ";
    text += "?" + std::to_string(first + static_cast<int>(index));
  }
  return text;
}

// Runs `work` in one transaction: everything or nothing, and one fsync.
template <typename Work>
void in_transaction(sqlite3* database, Work&& work) {
  char* message = nullptr;
  if (const int status = sqlite3_exec(database, "BEGIN IMMEDIATE", nullptr, nullptr, &message); status != SQLITE_OK) {
    const std::string reason = message ? message : "unknown error";
    sqlite3_free(message);
    throw_store_error(status, "cannot begin a transaction: " + reason);
  }
  try {
    work();
  } catch (...) {
    sqlite3_exec(database, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  if (const int status = sqlite3_exec(database, "COMMIT", nullptr, nullptr, &message); status != SQLITE_OK) {
    const std::string reason = message ? message : "unknown error";
    sqlite3_free(message);
    sqlite3_exec(database, "ROLLBACK", nullptr, nullptr, nullptr);
    throw_store_error(status, "cannot commit: " + reason);
  }
}

struct TrendScores {
  std::string administration_id;
  std::string session_lookup;
  Tenths total = 0;
};

}  // namespace

std::unique_ptr<Store> Store::open(const std::filesystem::path& path, const OutboxKeys& keys) {
  create_private_file(path);
  sqlite3* database = nullptr;
  const int status = sqlite3_open_v2(path.c_str(), &database,
                                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (status != SQLITE_OK) {
    const std::string reason = database ? sqlite3_errmsg(database) : sqlite3_errstr(status);
    sqlite3_close(database);
    throw StoreError("cannot open the store " + path.string() + ": " + reason);
  }
  std::unique_ptr<Store> store(new Store(database, keys));
  // Another process (alliancectl, a second host) may hold the lock briefly.
  sqlite3_busy_timeout(database, 2000);
  // What is deleted or overwritten (a purged payload, a replaced last error, a trend
  // score past its retention) is overwritten with zeros in the file, not left in free
  // space where a copy of the file would still hold it.
  store->execute("PRAGMA secure_delete = ON");
  store->execute("PRAGMA journal_mode = WAL");
  // FULL: every commit is on disk when it returns; "saved" must mean saved.
  store->execute("PRAGMA synchronous = FULL");
  store->upgrade_schema();
  store->execute("PRAGMA foreign_keys = ON");
  return store;
}

Store::Store(sqlite3* database, const OutboxKeys& keys) : database_(database), keys_(keys) {}

void Store::upgrade_schema() {
  int version = 0;
  {
    Statement read(database_, "PRAGMA user_version");
    if (read.step()) version = read.column_int(0);
  }
  if (version > kSchemaVersion) {
    throw StoreError("the store was written by a newer Alliance (schema " + std::to_string(version) +
                     ", this one knows " + std::to_string(kSchemaVersion) + "): upgrade the plugin");
  }
  // Foreign keys are off here (they are switched on after), as SQLite requires for
  // rebuilding a table that others refer to.
  in_transaction(database_, [&] {
    // Versions 1 and 2 have the tables of version 2 (kOutboxTable, kTrendTable); a new
    // file gets them too, and then version 3's columns like an upgraded one.
    if (version == 1) {
      execute((renamed(kOutboxTable, "outbox", "outbox_v2") + ";"
               "INSERT INTO outbox_v2 SELECT * FROM outbox; DROP TABLE outbox;"
               "ALTER TABLE outbox_v2 RENAME TO outbox;" +
               renamed(kTrendTable, "trend", "trend_v2") + ";"
               "INSERT INTO trend_v2 SELECT * FROM trend; DROP TABLE trend;"
               "ALTER TABLE trend_v2 RENAME TO trend;")
                  .c_str());
    }
    execute(kOutboxTable);
    execute(kTrendTable);
    execute(kSchema);
    if (version < 3) {
      execute(kSealedFormatColumns);
      seal_release_0_1_values_in_place();
    }
    execute(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
  });
  if (version >= 1 && version < 3) {
    // Release 0.1 did not overwrite what it deleted: rewrite the file once, so that
    // the payloads it purged leave its free pages (secure_delete covers what follows).
    execute("VACUUM");
  }
}

void Store::seal_release_0_1_values_in_place() {
  struct Value {
    std::string row, key_id, sealed;
  };
  // Collected first, then written: no update under a running SELECT of the same table.
  const auto collect = [&](const char* sql) {
    std::vector<Value> values;
    Statement select(database_, sql);
    while (select.step()) values.push_back({select.column_text(0), select.column_text(1), select.column_text(2)});
    return values;
  };
  struct Column {
    const char* select;
    const char* update;
    OutboxKeys::SealedField (*field)(const std::string&);
  };
  const Column columns[] = {
      {"SELECT administration_id, key_id, payload FROM outbox WHERE payload_format = 1 AND payload IS NOT NULL",
       "UPDATE outbox SET payload = ?2, key_id = ?3, payload_format = 2 WHERE administration_id = ?1", payload_of},
      {"SELECT administration_id, last_error_key_id, last_error FROM outbox WHERE last_error_format = 1 AND "
       "last_error IS NOT NULL",
       "UPDATE outbox SET last_error = ?2, last_error_key_id = ?3, last_error_format = 2 WHERE administration_id = ?1",
       last_error_of},
      {"SELECT administration_id, key_id, scores FROM trend WHERE scores_format = 1",
       "UPDATE trend SET scores = ?2, key_id = ?3, scores_format = 2 WHERE administration_id = ?1", scores_of},
  };
  for (const Column& column : columns) {
    Statement update(database_, column.update);
    for (const Value& value : collect(column.select)) {
      // A value whose key is not configured now stays as it is, marked as release
      // 0.1's, and opens the old way once its key is configured again.
      std::optional<std::string> plaintext = keys_.open_release_0_1(value.sealed, value.row, value.key_id);
      if (!plaintext) continue;
      update.bind(1, value.row)
          .bind_blob(2, keys_.seal(*plaintext, column.field(value.row)))
          .bind(3, keys_.current_key_id());
      update.step();
      update.reset();
    }
  }
}

std::optional<std::string> Store::open_sealed(const std::string& sealed, const OutboxKeys::SealedField& field,
                                              const std::string& key_id, int format) const {
  if (format == kSealedInPlace) return keys_.open(sealed, field, key_id);
  if (format == kSealedByRelease01) return keys_.open_release_0_1(sealed, field.row, key_id);
  return std::nullopt;
}

Store::~Store() { sqlite3_close_v2(database_); }

void Store::execute(const char* sql) {
  char* message = nullptr;
  if (const int status = sqlite3_exec(database_, sql, nullptr, nullptr, &message); status != SQLITE_OK) {
    const std::string reason = message ? message : "unknown error";
    sqlite3_free(message);
    throw_store_error(status, "database statement failed: " + reason);
  }
}

MeasureHistory Store::history(const std::string& client_key, const std::string& measure,
                              const std::string& session_id) {
  // No stable identity, no history: the empty key is shared by every such client.
  if (client_key.empty()) return {};
  const std::vector<std::string> clients = keys_.lookups_under_every_key(client_key);
  const std::vector<std::string> sessions = keys_.lookups_under_every_key(session_id);
  MeasureHistory history;
  {
    Statement count(database_, "SELECT COUNT(DISTINCT session_lookup) FROM trend WHERE client_lookup IN (" +
                                   placeholders(1, clients.size()) + ") AND session_lookup NOT IN (" +
                                   placeholders(static_cast<int>(clients.size()) + 1, sessions.size()) + ")");
    int index = 1;
    for (const auto& lookup : clients) count.bind(index++, lookup);
    for (const auto& lookup : sessions) count.bind(index++, lookup);
    if (count.step()) history.earlier_sessions = count.column_int(0);
  }
  Statement rows(database_, "SELECT administration_id, key_id, scores, session_lookup, authored_at, scores_format FROM trend "
                            "WHERE client_lookup IN (" +
                                placeholders(1, clients.size()) + ") AND measure = ?" +
                                std::to_string(clients.size() + 1) + " ORDER BY authored_at, rowid");
  int index = 1;
  for (const auto& lookup : clients) rows.bind(index++, lookup);
  rows.bind(index, measure);
  while (rows.step()) {
    const std::string session_lookup = rows.column_text(3);
    if (std::find(sessions.begin(), sessions.end(), session_lookup) != sessions.end()) continue;
    const std::string id = rows.column_text(0);
    const auto scores = open_sealed(rows.column_text(2), scores_of(id), rows.column_text(1), rows.column_int(5));
    if (!scores) continue;  // sealed with a key no longer configured
    const json parsed = json::parse(*scores, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("total")) continue;
    const Tenths total = parsed["total"].get<Tenths>();
    if (!history.intake_total) {
      history.intake_total = total;
      history.intake_at = rows.column_text(4);
    }
    history.previous_total = total;
    history.previous_at = rows.column_text(4);
    ++history.earlier_administrations;
  }
  return history;
}

SaveOutcome Store::save(const Administration& administration) {
  const ScoredMeasure& scored = administration.scored;
  const std::string& id = administration.administration_id;
  const std::string& measure = administration.measure_code;
  const bool completed = administration.status == "completed";
  bool saved = false;
  in_transaction(database_, [&] {
    Statement insert(database_, R"SQL(
      INSERT INTO outbox (administration_id, submission_key, measure, created_at, key_id, payload, payload_format)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (submission_key) DO NOTHING)SQL");
    insert.bind(1, id)
        // A declined form is recorded apart, so that the client may still complete it.
        .bind(2, keys_.lookup(administration.session_id + "\n" + administration.participant_id + "\n" + measure +
                              (completed ? "" : "\nstopped")))
        .bind(3, measure)
        .bind(4, administration.authored_at)
        .bind(5, keys_.current_key_id())
        .bind_blob(6, keys_.seal(encode_administration(administration), payload_of(id)))
        .bind(7, kSealedInPlace);
    insert.step();
    saved = sqlite3_changes(database_) == 1;
    // Nothing to trend without scores, nor for a client with no stable identity.
    if (!saved || !completed || administration.client_key.empty()) return;
    json scores = {{"total", scored.total}, {"items", scored.item_scores}, {"session_number", scored.session_number}};
    scores["cutoff"] = scored.cutoff ? json(*scored.cutoff) : json(nullptr);
    Statement trend(database_, R"SQL(
      INSERT INTO trend (administration_id, client_lookup, session_lookup, measure, authored_at, key_id, scores,
                         scores_format)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))SQL");
    trend.bind(1, id)
        .bind(2, keys_.lookup(administration.client_key))
        .bind(3, keys_.lookup(administration.session_id))
        .bind(4, measure)
        .bind(5, administration.authored_at)
        .bind(6, keys_.current_key_id())
        .bind_blob(7, keys_.seal(scores.dump(), scores_of(id)))
        .bind(8, kSealedInPlace);
    trend.step();
  });
  return saved ? SaveOutcome::saved : SaveOutcome::already_saved;
}

StoredAdministration Store::read_outbox_row(Statement& row) {
  StoredAdministration stored;
  const std::string id = row.column_text(0);
  stored.administration.administration_id = id;
  stored.measure = row.column_text(1);
  const std::string key_id = row.column_text(2);
  if (row.column_is_null(3)) {
    stored.payload_purged = true;
  } else if (auto plaintext = open_sealed(row.column_text(3), payload_of(id), key_id, row.column_int(11))) {
    // A payload that decodes to another administration is not this row's.
    if (auto decoded = decode_administration(*plaintext); decoded && decoded->administration_id == id) {
      stored.administration = std::move(*decoded);
    }
  }
  stored.delivery_state = row.column_text(4);
  stored.delivery_attempts = row.column_int(5);
  stored.next_attempt_at = row.column_text(6);
  if (!row.column_is_null(7)) {
    stored.last_error = open_sealed(row.column_text(7), last_error_of(id), row.column_text(10), row.column_int(12))
                            .value_or("(the last answer cannot be opened: it was sealed with a key that is no longer "
                                      "configured, or it was altered or moved in the file)");
  }
  stored.server_resources = row.column_text(8);
  stored.delivered_at = row.column_text(9);
  return stored;
}

std::vector<TrendPoint> Store::trend(const std::string& client_key) {
  if (client_key.empty()) return {};
  const std::vector<std::string> clients = keys_.lookups_under_every_key(client_key);
  Statement rows(database_, "SELECT administration_id, key_id, scores, measure, authored_at, scores_format FROM trend "
                            "WHERE client_lookup IN (" + placeholders(1, clients.size()) + ") ORDER BY authored_at, rowid");
  int index = 1;
  for (const auto& lookup : clients) rows.bind(index++, lookup);
  std::vector<TrendPoint> points;
  while (rows.step()) {
    const std::string id = rows.column_text(0);
    const auto scores = open_sealed(rows.column_text(2), scores_of(id), rows.column_text(1), rows.column_int(5));
    if (!scores) continue;  // sealed with a key no longer configured
    const json parsed = json::parse(*scores, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("total") || !parsed["total"].is_number_integer()) continue;
    TrendPoint point;
    point.measure = rows.column_text(3);
    point.authored_at = rows.column_text(4);
    point.total = parsed["total"].get<Tenths>();
    point.session_number = parsed.value("session_number", 1);
    if (parsed.contains("cutoff") && parsed["cutoff"].is_number_integer()) point.cutoff = parsed["cutoff"].get<Tenths>();
    points.push_back(std::move(point));
  }
  return points;
}

std::vector<Administration> Store::administrations_for(const std::string& client_key) {
  if (client_key.empty()) return {};
  const std::vector<std::string> clients = keys_.lookups_under_every_key(client_key);
  Statement select(database_, "SELECT administration_id FROM trend WHERE client_lookup IN (" +
                                  placeholders(1, clients.size()) + ") ORDER BY authored_at, rowid");
  int index = 1;
  for (const auto& lookup : clients) select.bind(index++, lookup);
  std::vector<std::string> ids;
  while (select.step()) ids.push_back(select.column_text(0));
  std::vector<Administration> result;
  for (const std::string& id : ids) {
    std::optional<StoredAdministration> stored = find(id);
    if (stored && !stored->payload_purged && !stored->administration.session_id.empty()) {
      result.push_back(std::move(stored->administration));
    }
  }
  return result;
}

std::vector<StoredAdministration> Store::all() {
  Statement select(database_, std::string("SELECT") + kOutboxColumns + "FROM outbox ORDER BY created_at, rowid");
  std::vector<StoredAdministration> result;
  while (select.step()) result.push_back(read_outbox_row(select));
  return result;
}

std::optional<StoredAdministration> Store::find(const std::string& administration_id) {
  Statement select(database_, std::string("SELECT") + kOutboxColumns + "FROM outbox WHERE administration_id = ?1");
  select.bind(1, administration_id);
  if (!select.step()) return std::nullopt;
  return read_outbox_row(select);
}

int Store::count_in_state(const std::string& delivery_state) {
  Statement count(database_, "SELECT COUNT(*) FROM outbox WHERE delivery_state = ?1");
  count.bind(1, delivery_state);
  return count.step() ? count.column_int(0) : 0;
}

std::vector<AttemptHistoryEntry> Store::attempts_of(const std::string& administration_id) {
  Statement select(database_,
                   "SELECT attempted_at, outcome, http_status, reason FROM delivery_attempts "
                   "WHERE administration_id = ?1 ORDER BY rowid");
  select.bind(1, administration_id);
  std::vector<AttemptHistoryEntry> entries;
  while (select.step()) {
    entries.push_back({select.column_text(0), select.column_text(1), select.column_int(2), select.column_text(3)});
  }
  return entries;
}

std::optional<std::string> Store::oldest_pending_created_at() {
  Statement select(database_, "SELECT MIN(created_at) FROM outbox WHERE delivery_state = 'pending'");
  if (!select.step()) return std::nullopt;
  std::string oldest = select.column_text(0);
  if (oldest.empty()) return std::nullopt;  // MIN over no rows is NULL
  return oldest;
}

std::vector<DeliveryProblem> Store::recent_delivery_problems(std::size_t limit) {
  Statement select(database_,
                   "SELECT a.administration_id, o.measure, o.delivery_state, a.attempted_at, a.outcome, "
                   "a.http_status, a.reason FROM delivery_attempts a JOIN outbox o USING (administration_id) "
                   "WHERE o.delivery_state <> 'delivered' ORDER BY a.attempted_at DESC, a.rowid DESC LIMIT ?1");
  select.bind(1, static_cast<int>(std::min<std::size_t>(limit, 1'000'000)));
  std::vector<DeliveryProblem> problems;
  while (select.step()) {
    problems.push_back({select.column_text(0), select.column_text(1), select.column_text(2),
                        {select.column_text(3), select.column_text(4), select.column_int(5), select.column_text(6)}});
  }
  return problems;
}

int Store::reset_in_flight() {
  execute("UPDATE outbox SET delivery_state = 'pending' WHERE delivery_state = 'in_flight'");
  return sqlite3_changes(database_);
}

std::vector<StoredAdministration> Store::take_due(const std::string& now, std::size_t limit) {
  std::vector<StoredAdministration> taken;
  if (limit == 0) return taken;
  in_transaction(database_, [&] {
    Statement select(database_, std::string("SELECT") + kOutboxColumns +
                                    "FROM outbox WHERE delivery_state = 'pending' AND next_attempt_at <= ?1"
                                    " ORDER BY next_attempt_at, rowid LIMIT ?2");  // rowid: the index order, no sort
    select.bind(1, now).bind(2, static_cast<int>(limit));
    std::vector<StoredAdministration> rows;
    while (select.step()) rows.push_back(read_outbox_row(select));
    Statement mark(database_, "UPDATE outbox SET delivery_state = 'in_flight' WHERE administration_id = ?1");
    Statement unusable(database_,
                       "UPDATE outbox SET delivery_state = 'failed', last_error = ?2, last_error_key_id = ?3, "
                       "last_error_format = 2 WHERE administration_id = ?1");
    for (StoredAdministration& row : rows) {
      const std::string& id = row.administration.administration_id;
      if (row.payload_purged || row.administration.session_id.empty()) {
        // Nothing that could be sent: say so instead of trying forever.
        unusable.bind(1, id)
            .bind_blob(2, keys_.seal("the payload cannot be opened: the key that sealed it is not configured, or the "
                                     "file was altered",
                                     last_error_of(id)))
            .bind(3, keys_.current_key_id());
        unusable.step();
        unusable.reset();
        continue;
      }
      mark.bind(1, id);
      mark.step();
      mark.reset();
      row.delivery_state = "in_flight";
      taken.push_back(std::move(row));
    }
  });
  return taken;
}

std::optional<std::string> Store::next_attempt_time() {
  Statement select(database_, "SELECT MIN(next_attempt_at) FROM outbox WHERE delivery_state = 'pending'");
  if (!select.step() || select.column_is_null(0)) return std::nullopt;
  return select.column_text(0);
}

void Store::record(const std::vector<DeliveryRecord>& records) {
  if (records.empty()) return;
  in_transaction(database_, [&] {
    Statement update(database_, R"SQL(
      UPDATE outbox SET delivery_state = ?2, delivery_attempts = delivery_attempts + 1, next_attempt_at = ?3,
        last_error = ?4, last_error_key_id = ?7, last_error_format = 2,
        server_resources = CASE WHEN ?5 = '' THEN server_resources ELSE ?5 END,
        delivered_at = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_at END
      WHERE administration_id = ?1)SQL");
    Statement attempt(database_, R"SQL(
      INSERT INTO delivery_attempts (administration_id, attempted_at, outcome, http_status, reason)
      VALUES (?1, ?2, ?3, ?4, ?5))SQL");
    for (const DeliveryRecord& record : records) {
      const char* state = record.state == DeliveryRecord::State::delivered ? "delivered"
                          : record.state == DeliveryRecord::State::failed  ? "failed"
                                                                           : "pending";
      update.bind(1, record.administration_id)
          .bind(2, std::string(state))
          .bind(3, record.next_attempt_at)
          .bind_blob(4, keys_.seal(record.error, last_error_of(record.administration_id)))
          .bind(5, record.server_resources)
          .bind(6, record.at)
          .bind(7, keys_.current_key_id());
      update.step();
      update.reset();
      attempt.bind(1, record.administration_id)
          .bind(2, record.at)
          .bind(3, std::string(record.state == DeliveryRecord::State::pending ? "retry" : state))
          .bind(4, record.http_status)
          .bind(5, record.log_reason);
      attempt.step();
      attempt.reset();
    }
  });
}

int Store::retry_failed() {
  execute("UPDATE outbox SET delivery_state = 'pending', next_attempt_at = '' WHERE delivery_state = 'failed'");
  return sqlite3_changes(database_);
}

Store::PurgeCounts Store::purge(std::chrono::system_clock::time_point now, std::chrono::hours payload_retention,
                                std::chrono::hours trend_retention) {
  PurgeCounts counts;
  in_transaction(database_, [&] {
    Statement payloads(database_,
                       "UPDATE outbox SET payload = NULL, last_error = NULL "
                       "WHERE delivery_state = 'delivered' AND payload IS NOT NULL AND delivered_at < ?1");
    payloads.bind(1, format_utc(now - payload_retention));
    payloads.step();
    counts.payloads = sqlite3_changes(database_);
    Statement trend(database_, "DELETE FROM trend WHERE authored_at < ?1");
    trend.bind(1, format_utc(now - trend_retention));
    trend.step();
    counts.trend_rows = sqlite3_changes(database_);
  });
  // secure_delete zeroed the purged bytes in the pages written to the WAL; the file's
  // own copies of those pages go when the WAL is copied back into it, now rather than
  // at the next automatic checkpoint, and the WAL is emptied (TRUNCATE).
  if (counts.payloads > 0 || counts.trend_rows > 0) execute("PRAGMA wal_checkpoint(TRUNCATE)");
  return counts;
}

}  // namespace alliance
