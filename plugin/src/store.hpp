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

 private:
  explicit Store(sqlite3* database);
  void execute(const char* sql);
  sqlite3* database_;
};

}  // namespace alliance
