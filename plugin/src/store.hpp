// The durable store (SQLite): every completed measure, and its delivery state for the
// chart. A measure is committed (WAL, synchronous=FULL) before the client's panel is
// told "saved", so a crash after that moment loses nothing.
//
// Used from the plugin's worker thread only; not thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "administration.hpp"

struct sqlite3;

namespace alliance {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class SaveOutcome { saved, already_saved };

// An administration with where it is on its way to the chart.
struct StoredAdministration {
  Administration administration;
  std::string delivery_state;  // pending, in_flight, delivered, failed
  int delivery_attempts = 0;
  std::string last_error;        // why the last attempt did not deliver (may quote the server)
  std::string server_resources;  // JSON: the server's ids of the created resources
};

class Store {
 public:
  // Opens or creates the database (file mode 0600, parent folder 0700 if created)
  // and brings its schema up to date. Throws StoreError with a reason IT can act on.
  static std::unique_ptr<Store> open(const std::filesystem::path& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The client's earlier administrations of one measure, not counting `session_id`.
  MeasureHistory history(const std::string& client_key, MeasureKind kind, const std::string& session_id);

  // Writes one administration durably. A second submission of the same measure by
  // the same participant in the same session is not written again (already_saved).
  SaveOutcome save(const Administration& administration);

  // Every administration for a client, oldest first (for the trend and for tests).
  std::vector<Administration> administrations_for(const std::string& client_key);

  // Counts by delivery state ("pending", ...), for status reports.
  int count_in_state(const std::string& delivery_state);

  std::optional<StoredAdministration> find(const std::string& administration_id);

  // Delivery to the chart. Times are RFC 3339 UTC text (utc_now), compared as text.
  // At start: anything left in flight by a stopped process is pending again.
  void reset_in_flight();
  // The oldest pending administration whose next attempt is due at `now`.
  std::optional<StoredAdministration> next_due(const std::string& now);
  // The earliest next attempt among pending administrations ("" = now), if any.
  std::optional<std::string> next_attempt_time();
  void mark_in_flight(const std::string& administration_id);
  void mark_delivered(const std::string& administration_id, const std::string& server_resources,
                      const std::string& delivered_at);
  void mark_for_retry(const std::string& administration_id, const std::string& next_attempt_at,
                      const std::string& error);
  void mark_failed(const std::string& administration_id, const std::string& error);

 private:
  explicit Store(sqlite3* database);
  void execute(const char* sql);
  sqlite3* database_;
};

}  // namespace alliance
