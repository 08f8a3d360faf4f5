#include "store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace alliance {

using nlohmann::json;

namespace {

// Schema version 1. Later versions add migrations after it; user_version records
// which have run.
constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS administrations (
  administration_id      TEXT PRIMARY KEY,
  session_id             TEXT NOT NULL,
  client_key             TEXT NOT NULL,
  participant_id         TEXT NOT NULL,
  patient_reference      TEXT NOT NULL,
  practitioner_reference TEXT NOT NULL,
  encounter_reference    TEXT NOT NULL,
  measure                TEXT NOT NULL CHECK (measure IN ('ORS', 'SRS')),
  questionnaire          TEXT NOT NULL,
  authored_at            TEXT NOT NULL,
  age_years              INTEGER NOT NULL,
  item_link_ids          TEXT NOT NULL,
  item_scores_tenths     TEXT NOT NULL,
  total_tenths           INTEGER NOT NULL CHECK (total_tenths BETWEEN 0 AND 400),
  cutoff_tenths          INTEGER,
  session_number         INTEGER NOT NULL,
  flags                  TEXT NOT NULL,
  delivery_state         TEXT NOT NULL DEFAULT 'pending'
                         CHECK (delivery_state IN ('pending', 'in_flight', 'delivered', 'failed')),
  delivery_attempts      INTEGER NOT NULL DEFAULT 0,
  next_attempt_at        TEXT NOT NULL DEFAULT '',
  last_error             TEXT NOT NULL DEFAULT '',
  server_resources       TEXT NOT NULL DEFAULT '',
  delivered_at           TEXT NOT NULL DEFAULT '',
  UNIQUE (session_id, participant_id, measure)
);
CREATE INDEX IF NOT EXISTS administrations_by_client
  ON administrations (client_key, measure, authored_at);
CREATE INDEX IF NOT EXISTS administrations_by_delivery_state
  ON administrations (delivery_state, next_attempt_at);
PRAGMA user_version = 1;
)SQL";

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* database, const char* sql) : database_(database) {
    if (sqlite3_prepare_v2(database, sql, -1, &statement_, nullptr) != SQLITE_OK) {
      throw StoreError(std::string("cannot prepare a statement: ") + sqlite3_errmsg(database));
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
  Statement& bind_null(int index) {
    check(sqlite3_bind_null(statement_, index));
    return *this;
  }
  // True while there is a row; false when done. Throws on errors.
  bool step() {
    const int status = sqlite3_step(statement_);
    if (status == SQLITE_ROW) return true;
    if (status == SQLITE_DONE) return false;
    throw StoreError(std::string("database step failed: ") + sqlite3_errmsg(database_));
  }
  int column_int(int column) { return sqlite3_column_int(statement_, column); }
  bool column_is_null(int column) { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::string column_text(int column) {
    const auto* text = sqlite3_column_text(statement_, column);
    return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(statement_, column)))
                : std::string();
  }

 private:
  void check(int status) {
    if (status != SQLITE_OK) throw StoreError(std::string("cannot bind a value: ") + sqlite3_errmsg(database_));
  }
  sqlite3* database_;
  sqlite3_stmt* statement_ = nullptr;
};

// Creates the file 0600 before SQLite opens it, so that PHI is never readable by
// others, not even for a moment. SQLite gives the -wal and -shm files the same mode.
void create_private_file(const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  std::error_code error;
  if (!parent.empty() && !std::filesystem::exists(parent, error)) {
    std::filesystem::create_directories(parent, error);
    if (error) throw StoreError("cannot create the folder " + parent.string() + ": " + error.message());
    std::filesystem::permissions(parent, std::filesystem::perms::owner_all, error);
  }
  const int descriptor = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (descriptor < 0) throw StoreError("cannot create " + path.string() + ": " + std::strerror(errno));
  ::close(descriptor);
}

}  // namespace

std::unique_ptr<Store> Store::open(const std::filesystem::path& path) {
  create_private_file(path);
  sqlite3* database = nullptr;
  const int status = sqlite3_open_v2(path.c_str(), &database,
                                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (status != SQLITE_OK) {
    const std::string reason = database ? sqlite3_errmsg(database) : sqlite3_errstr(status);
    sqlite3_close(database);
    throw StoreError("cannot open the store " + path.string() + ": " + reason);
  }
  std::unique_ptr<Store> store(new Store(database));
  // Another process (alliancectl, a second host) may hold the lock briefly.
  sqlite3_busy_timeout(database, 2000);
  store->execute("PRAGMA journal_mode = WAL");
  // FULL: every commit is on disk when it returns; "saved" must mean saved.
  store->execute("PRAGMA synchronous = FULL");
  store->execute("PRAGMA foreign_keys = ON");
  store->execute(kSchema);
  return store;
}

Store::Store(sqlite3* database) : database_(database) {}

Store::~Store() { sqlite3_close_v2(database_); }

void Store::execute(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(database_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string reason = message ? message : "unknown error";
    sqlite3_free(message);
    throw StoreError("database statement failed: " + reason);
  }
}

MeasureHistory Store::history(const std::string& client_key, MeasureKind kind, const std::string& session_id) {
  MeasureHistory history;
  {
    Statement sessions(database_,
                       "SELECT COUNT(DISTINCT session_id) FROM administrations WHERE client_key = ?1 AND session_id <> ?2");
    sessions.bind(1, client_key).bind(2, session_id);
    if (sessions.step()) history.earlier_sessions = sessions.column_int(0);
  }
  Statement totals(database_,
                   "SELECT total_tenths FROM administrations WHERE client_key = ?1 AND measure = ?2 AND session_id <> ?3 "
                   "ORDER BY authored_at, rowid");
  totals.bind(1, client_key).bind(2, std::string(measure_code(kind))).bind(3, session_id);
  while (totals.step()) {
    const Tenths total = totals.column_int(0);
    if (!history.intake_total) history.intake_total = total;
    history.previous_total = total;
    ++history.earlier_administrations;
  }
  return history;
}

SaveOutcome Store::save(const Administration& administration) {
  const ScoredMeasure& scored = administration.scored;
  json flags = json::array();
  for (const Flag& flag : scored.flags) flags.push_back(flag.code);
  Statement insert(database_, R"SQL(
    INSERT INTO administrations (administration_id, session_id, client_key, participant_id, patient_reference,
      practitioner_reference, encounter_reference, measure, questionnaire, authored_at, age_years,
      item_scores_tenths, total_tenths, cutoff_tenths, session_number, flags, item_link_ids)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
    ON CONFLICT (session_id, participant_id, measure) DO NOTHING)SQL");
  insert.bind(1, administration.administration_id)
      .bind(2, administration.session_id)
      .bind(3, administration.client_key)
      .bind(4, administration.participant_id)
      .bind(5, administration.patient_reference)
      .bind(6, administration.practitioner_reference)
      .bind(7, administration.encounter_reference)
      .bind(8, std::string(measure_code(scored.kind)))
      .bind(9, administration.questionnaire)
      .bind(10, administration.authored_at)
      .bind(11, administration.age_years)
      .bind(12, json(scored.item_scores).dump())
      .bind(13, scored.total);
  if (scored.cutoff) {
    insert.bind(14, *scored.cutoff);
  } else {
    insert.bind_null(14);
  }
  insert.bind(15, scored.session_number).bind(16, flags.dump()).bind(17, json(administration.item_link_ids).dump());
  insert.step();
  return sqlite3_changes(database_) == 1 ? SaveOutcome::saved : SaveOutcome::already_saved;
}

namespace {

constexpr const char* kAdministrationColumns = R"SQL(
    administration_id, session_id, client_key, participant_id, patient_reference, practitioner_reference,
    encounter_reference, measure, questionnaire, authored_at, age_years, item_scores_tenths, total_tenths,
    cutoff_tenths, session_number, item_link_ids, delivery_state, delivery_attempts, last_error, server_resources)SQL";

// One row (selected with kAdministrationColumns) as an administration. Derived fields
// (age band, concern range) are recomputed from the stored facts.
StoredAdministration read_row(Statement& row) {
  StoredAdministration stored;
  Administration& administration = stored.administration;
  administration.administration_id = row.column_text(0);
  administration.session_id = row.column_text(1);
  administration.client_key = row.column_text(2);
  administration.participant_id = row.column_text(3);
  administration.patient_reference = row.column_text(4);
  administration.practitioner_reference = row.column_text(5);
  administration.encounter_reference = row.column_text(6);
  ScoredMeasure& scored = administration.scored;
  scored.kind = row.column_text(7) == "ORS" ? MeasureKind::outcome_rating_scale : MeasureKind::session_rating_scale;
  administration.questionnaire = row.column_text(8);
  administration.authored_at = row.column_text(9);
  administration.age_years = row.column_int(10);
  const json items = json::parse(row.column_text(11), nullptr, false);
  if (items.is_array()) {
    for (const json& item : items) {
      if (item.is_number_integer()) scored.item_scores.push_back(item.get<Tenths>());
    }
  }
  scored.total = row.column_int(12);
  if (!row.column_is_null(13)) scored.cutoff = row.column_int(13);
  scored.session_number = row.column_int(14);
  const json link_ids = json::parse(row.column_text(15), nullptr, false);
  if (link_ids.is_array()) {
    for (const json& link_id : link_ids) {
      if (link_id.is_string()) administration.item_link_ids.push_back(link_id.get<std::string>());
    }
  }
  scored.age_band = age_band_for(administration.age_years);
  scored.in_concern_range = scored.cutoff.has_value() && scored.total < *scored.cutoff;
  stored.delivery_state = row.column_text(16);
  stored.delivery_attempts = row.column_int(17);
  stored.last_error = row.column_text(18);
  stored.server_resources = row.column_text(19);
  return stored;
}

}  // namespace

std::vector<Administration> Store::administrations_for(const std::string& client_key) {
  Statement select(database_, (std::string("SELECT") + kAdministrationColumns +
                               " FROM administrations WHERE client_key = ?1 ORDER BY authored_at, rowid").c_str());
  select.bind(1, client_key);
  std::vector<Administration> result;
  while (select.step()) result.push_back(read_row(select).administration);
  return result;
}

std::optional<StoredAdministration> Store::find(const std::string& administration_id) {
  Statement select(database_, (std::string("SELECT") + kAdministrationColumns +
                               " FROM administrations WHERE administration_id = ?1").c_str());
  select.bind(1, administration_id);
  if (!select.step()) return std::nullopt;
  return read_row(select);
}

void Store::reset_in_flight() {
  Statement update(database_, "UPDATE administrations SET delivery_state = 'pending' WHERE delivery_state = 'in_flight'");
  update.step();
}

std::optional<StoredAdministration> Store::next_due(const std::string& now) {
  Statement select(database_, (std::string("SELECT") + kAdministrationColumns +
                               " FROM administrations WHERE delivery_state = 'pending' AND next_attempt_at <= ?1"
                               " ORDER BY next_attempt_at, authored_at, rowid LIMIT 1").c_str());
  select.bind(1, now);
  if (!select.step()) return std::nullopt;
  return read_row(select);
}

std::optional<std::string> Store::next_attempt_time() {
  Statement select(database_,
                   "SELECT MIN(next_attempt_at) FROM administrations WHERE delivery_state = 'pending'");
  if (!select.step() || select.column_is_null(0)) return std::nullopt;
  return select.column_text(0);
}

void Store::mark_in_flight(const std::string& administration_id) {
  Statement update(database_,
                   "UPDATE administrations SET delivery_state = 'in_flight', delivery_attempts = delivery_attempts + 1 "
                   "WHERE administration_id = ?1");
  update.bind(1, administration_id).step();
}

void Store::mark_delivered(const std::string& administration_id, const std::string& server_resources,
                           const std::string& delivered_at) {
  Statement update(database_,
                   "UPDATE administrations SET delivery_state = 'delivered', server_resources = ?2, delivered_at = ?3, "
                   "last_error = '' WHERE administration_id = ?1");
  update.bind(1, administration_id).bind(2, server_resources).bind(3, delivered_at).step();
}

void Store::mark_for_retry(const std::string& administration_id, const std::string& next_attempt_at,
                           const std::string& error) {
  Statement update(database_,
                   "UPDATE administrations SET delivery_state = 'pending', next_attempt_at = ?2, last_error = ?3 "
                   "WHERE administration_id = ?1");
  update.bind(1, administration_id).bind(2, next_attempt_at).bind(3, error).step();
}

void Store::mark_failed(const std::string& administration_id, const std::string& error) {
  Statement update(database_,
                   "UPDATE administrations SET delivery_state = 'failed', last_error = ?2 WHERE administration_id = ?1");
  update.bind(1, administration_id).bind(2, error).step();
}

int Store::count_in_state(const std::string& delivery_state) {
  Statement count(database_, "SELECT COUNT(*) FROM administrations WHERE delivery_state = ?1");
  count.bind(1, delivery_state);
  return count.step() ? count.column_int(0) : 0;
}

}  // namespace alliance
