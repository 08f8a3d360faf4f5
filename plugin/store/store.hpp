// The durable store (SQLite): the outbox of completed measures on their way to the
// chart, and the scores a therapist's trend needs. A measure is committed (WAL,
// synchronous=FULL) before the client's panel is told "saved", so a crash after that
// moment loses nothing.
//
// PHI at rest: every value that could identify a client or carry their answers is
// sealed with AES-256-GCM (OutboxKeys), bound to its table, column, row and key id;
// rows are found by keyed hashes. What is deleted is overwritten (secure_delete). What stays in
// clear is what delivery needs to schedule: states, attempt counts, times, the
// measure's short code and the server's resource ids. The file is created 0600.
//
//   outbox             one row per administration: sealed payload, delivery state
//   delivery_attempts  the history of attempts (outcome, HTTP status, a log-safe reason)
//   trend              the scores (sealed) and keyed hashes of client and session
//
// Used from the plugin's worker thread only; not thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "measures/administration.hpp"
#include "scoring/scoring.hpp"
#include "store/outbox_keys.hpp"

struct sqlite3;

namespace alliance {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Another connection (alliancectl, a second host) holds the store's write lock for
// longer than the busy timeout (2 s): nothing was written; the same write can be
// tried again later.
class StoreBusy : public StoreError {
 public:
  using StoreError::StoreError;
};

enum class SaveOutcome { saved, already_saved };

// An administration with where it is on its way to the chart.
struct StoredAdministration {
  Administration administration;  // empty but for the id once the payload is purged
  std::string measure;            // the measure code: ORS, SRS, CORS, GSRS, ...
  std::string delivery_state;     // pending, in_flight, delivered, failed
  int delivery_attempts = 0;
  std::string next_attempt_at;
  std::string last_error;        // why the last attempt did not deliver (may quote the server)
  std::string server_resources;  // JSON: the server's ids of the created resources
  std::string delivered_at;
  bool payload_purged = false;
};

// What one delivery attempt ended in, to be recorded.
struct DeliveryRecord {
  enum class State { delivered, pending, failed };
  std::string administration_id;
  State state = State::pending;
  std::string at;               // when the attempt ended
  std::string next_attempt_at;  // pending: when to try again
  std::string error;            // pending or failed: the reason for IT (sealed)
  std::string server_resources; // delivered
  int http_status = 0;          // 0 when no HTTP answer came
  std::string log_reason;       // for the attempt history: never PHI
};

// One score of a client's trajectory, for the therapist's trend graph.
struct TrendPoint {
  std::string measure;      // ORS, CORS, SRS, ...
  std::string authored_at;  // RFC 3339 UTC
  Tenths total = 0;
  int session_number = 1;
  std::optional<Tenths> cutoff;
};

struct AttemptHistoryEntry {
  std::string attempted_at;
  std::string outcome;  // delivered, retry, failed
  int http_status = 0;
  std::string reason;
};

// One attempt of an administration that is still pending or has failed, for IT's
// status report. Only what the store keeps in clear: never the payload or last_error.
struct DeliveryProblem {
  std::string administration_id;  // a random id, not PHI
  std::string measure;            // ORS, SRS, ...
  std::string delivery_state;     // pending, in_flight or failed
  AttemptHistoryEntry attempt;    // its log-safe reason and HTTP status
};

class Store {
 public:
  // Opens or creates the database (file mode 0600, parent folder 0700 if created)
  // and brings its schema up to date. `keys` must outlive the store. Throws StoreError
  // with a reason IT can act on.
  static std::unique_ptr<Store> open(const std::filesystem::path& path, const OutboxKeys& keys);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The client's earlier administrations of one measure ("ORS", "CORS", ...), not
  // counting `session_id`. An empty `client_key` (a client with no stable identity)
  // has no history, here and in trend() and administrations_for(); save() keeps no
  // trend row for it.
  MeasureHistory history(const std::string& client_key, const std::string& measure, const std::string& session_id);

  // Writes one administration durably (outbox and trend, one transaction). A second
  // submission of the same measure by the same participant in the same session is not
  // written again (already_saved).
  SaveOutcome save(const Administration& administration);

  // The client's scores of every measure, oldest first (kept for trend_retention_days).
  std::vector<TrendPoint> trend(const std::string& client_key);

  // Every administration of a client whose payload is still kept, oldest first.
  std::vector<Administration> administrations_for(const std::string& client_key);
  // Every outbox row, oldest first (for IT's status and for tests).
  std::vector<StoredAdministration> all();
  std::optional<StoredAdministration> find(const std::string& administration_id);
  int count_in_state(const std::string& delivery_state);
  std::vector<AttemptHistoryEntry> attempts_of(const std::string& administration_id);
  // When the oldest pending administration was saved (RFC 3339 UTC), if any is pending.
  std::optional<std::string> oldest_pending_created_at();
  // The latest `limit` attempts of administrations that are not delivered, newest first.
  std::vector<DeliveryProblem> recent_delivery_problems(std::size_t limit);

  // Delivery. Times are RFC 3339 UTC text (utc_clock.hpp), compared as text.
  // At start: anything left in flight by a stopped process is pending again.
  int reset_in_flight();
  // Up to `limit` pending administrations due at `now`, oldest first, marked in
  // flight (one transaction). Rows whose payload cannot be opened (a missing key) are
  // marked failed with the reason instead.
  std::vector<StoredAdministration> take_due(const std::string& now, std::size_t limit);
  // The earliest next attempt among pending administrations ("" = now), if any.
  std::optional<std::string> next_attempt_time();
  // Records the outcomes of several attempts in one transaction.
  void record(const std::vector<DeliveryRecord>& records);
  // Failed administrations become pending again (after IT fixed the cause).
  int retry_failed();

  struct PurgeCounts {
    int payloads = 0;    // delivered payloads dropped
    int trend_rows = 0;  // trend scores dropped
  };
  // Drops delivered payloads older than `payload_retention` (the row, its state and the
  // server's ids stay) and trend scores older than `trend_retention`, overwriting them
  // in the file.
  PurgeCounts purge(std::chrono::system_clock::time_point now, std::chrono::hours payload_retention,
                    std::chrono::hours trend_retention);

 private:
  Store(sqlite3* database, const OutboxKeys& keys);
  void execute(const char* sql);
  // Creates the tables, or brings an older file's schema to this version.
  void upgrade_schema();
  // Seals again, bound to their place, the values release 0.1 sealed (schema 3).
  void seal_release_0_1_values_in_place();
  // Opens a sealed value as its *_format column says it was sealed.
  std::optional<std::string> open_sealed(const std::string& sealed, const OutboxKeys::SealedField& field,
                                         const std::string& key_id, int format) const;
  StoredAdministration read_outbox_row(class Statement& row);
  sqlite3* database_;
  const OutboxKeys& keys_;
};

}  // namespace alliance
