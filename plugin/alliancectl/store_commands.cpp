#include "alliancectl/store_commands.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "store/outbox_keys.hpp"
#include "store/store.hpp"
#include "alliancectl/terminal_text.hpp"
#include "reading/utc_clock.hpp"

namespace alliance::control {

namespace {

// "3 d 4 h", "2 h 5 min", "42 s": how long ago, in words IT reads at a glance.
std::string age_text(std::chrono::system_clock::duration age) {
  const long long seconds = std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(age).count());
  const long long days = seconds / 86'400, hours = seconds % 86'400 / 3'600, minutes = seconds % 3'600 / 60;
  if (days > 0) return std::to_string(days) + " d " + std::to_string(hours) + " h";
  if (hours > 0) return std::to_string(hours) + " h " + std::to_string(minutes) + " min";
  if (minutes > 0) return std::to_string(minutes) + " min " + std::to_string(seconds % 60) + " s";
  return std::to_string(seconds) + " s";
}

// Opens the store for one command. An absent file is not created: that would hide a
// wrong store.path.
int with_store(const Configuration& configuration, std::ostream& errors, const std::function<void(Store&)>& work) {
  if (!std::filesystem::exists(configuration.store_path)) {
    errors << "store.path: there is no store at " << terminal_text(configuration.store_path.string())
           << " (the plugin creates it when it first starts)\n";
    return 1;
  }
  std::optional<OutboxKeys> keys;
  try {
    keys.emplace(OutboxKeys::load(configuration.store_key_file, configuration.retired_key_files));
  } catch (const std::exception& failure) {
    // The reason starts with its setting (store.key_file or store.retired_key_files).
    errors << terminal_text(failure.what()) << "\n";
    return 1;
  }
  try {
    std::unique_ptr<Store> store = Store::open(configuration.store_path, *keys);
    work(*store);
    return 0;
  } catch (const StoreError& failure) {
    errors << "store.path: " << terminal_text(failure.what()) << "\n";
  } catch (const std::exception& failure) {
    errors << "store: " << terminal_text(failure.what()) << "\n";
  }
  return 1;
}

}  // namespace

int show_status(const Configuration& configuration, std::size_t problem_limit, long long pending_limit_minutes,
                std::ostream& out, std::ostream& errors) {
  std::vector<std::string> needs_attention;
  const int status = with_store(configuration, errors, [&](Store& store) {
    out << "store: " << terminal_text(configuration.store_path.string()) << "\n";
    out << "outbox:";
    for (const char* state : {"pending", "in_flight", "delivered", "failed"}) {
      out << " " << state << " " << store.count_in_state(state);
    }
    out << "\n";
    if (const auto oldest = store.oldest_pending_created_at()) {
      const auto since = parse_utc(*oldest);
      out << "oldest pending: saved " << terminal_text(*oldest);
      if (since) out << " (" << age_text(std::chrono::system_clock::now() - *since) << " ago)";
      out << "\n";
      if (since && configuration.fhir &&
          std::chrono::system_clock::now() - *since > std::chrono::minutes(pending_limit_minutes)) {
        needs_attention.push_back("results have waited more than " + std::to_string(pending_limit_minutes) +
                                  " min to be sent: check the record system (alliancectl test-connection) and the "
                                  "reasons below");
      }
    } else {
      out << "oldest pending: none\n";
    }
    if (!configuration.fhir) out << "fhir: not configured, so nothing is sent and pending items stay pending\n";
    if (const int failed = store.count_in_state("failed"); failed > 0) {
      needs_attention.push_back(std::to_string(failed) + " result" + (failed == 1 ? " was" : "s were") +
                                " refused: alliancectl show ID says why; fix the cause, then alliancectl retry");
    }
    const std::vector<DeliveryProblem> problems = store.recent_delivery_problems(problem_limit);
    if (problems.empty()) {
      out << "recent delivery problems: none\n";
      return;
    }
    out << "recent delivery problems (newest first, at most " << problem_limit << "):\n";
    for (const DeliveryProblem& problem : problems) {
      out << "  " << terminal_text(problem.attempt.attempted_at) << " " << terminal_text(problem.measure) << " "
          << terminal_text(problem.delivery_state) << " (attempt " << terminal_text(problem.attempt.outcome);
      if (problem.attempt.http_status != 0) out << ", HTTP " << problem.attempt.http_status;
      out << "): " << terminal_text(problem.attempt.reason) << " [administration "
          << terminal_text(problem.administration_id) << "]\n";
    }
  });
  if (status != 0) return status;
  if (needs_attention.empty()) {
    out << "result: nothing needs attention\n";
    return 0;
  }
  for (const std::string& item : needs_attention) out << "needs attention: " << item << "\n";
  return 1;
}

int show_administration(const Configuration& configuration, const std::string& administration_id, std::ostream& out,
                        std::ostream& errors) {
  bool found = false;
  const int status = with_store(configuration, errors, [&](Store& store) {
    const std::optional<StoredAdministration> stored = store.find(administration_id);
    if (!stored) return;
    found = true;
    out << "administration " << terminal_text(administration_id) << ": " << terminal_text(stored->measure) << ", "
        << terminal_text(stored->delivery_state) << " after " << stored->delivery_attempts << " attempt"
        << (stored->delivery_attempts == 1 ? "" : "s") << "\n";
    if (!stored->delivered_at.empty()) out << "delivered: " << terminal_text(stored->delivered_at) << "\n";
    if (!stored->next_attempt_at.empty() && stored->delivery_state == "pending") {
      out << "next attempt: " << terminal_text(stored->next_attempt_at) << "\n";
    }
    for (const AttemptHistoryEntry& attempt : store.attempts_of(administration_id)) {
      out << "  " << terminal_text(attempt.attempted_at) << " " << terminal_text(attempt.outcome);
      if (attempt.http_status != 0) out << " HTTP " << attempt.http_status;
      out << ": " << terminal_text(attempt.reason) << "\n";
    }
    if (!stored->last_error.empty()) {
      out << "the last answer, as the plugin kept it (it may name the client: do not paste it into a ticket or "
             "a chat; control characters are shown escaped, as \\x1b):\n  "
          << terminal_text(stored->last_error) << "\n";
    }
  });
  if (status != 0) return status;
  if (!found) {
    errors << "show: no administration " << terminal_text(administration_id)
           << " in the store (alliancectl status lists the ids of those with problems)\n";
    return 1;
  }
  return 0;
}

int retry_failed(const Configuration& configuration, std::ostream& out, std::ostream& errors) {
  return with_store(configuration, errors, [&](Store& store) {
    const int count = store.retry_failed();
    out << "retry: " << count << " failed item" << (count == 1 ? "" : "s") << " pending again; a running plugin sends "
        << "them within fhir.store_check_seconds";
    if (configuration.fhir) out << " (" << configuration.fhir->store_check_seconds << " s)";
    out << ", or else when the host next starts it\n";
  });
}

int purge_expired(const Configuration& configuration, std::ostream& out, std::ostream& errors) {
  return with_store(configuration, errors, [&](Store& store) {
    const Store::PurgeCounts counts =
        store.purge(std::chrono::system_clock::now(), std::chrono::hours(24) * configuration.payload_retention_days,
                    std::chrono::hours(24) * configuration.trend_retention_days);
    out << "purge: " << counts.payloads << " delivered payload" << (counts.payloads == 1 ? "" : "s")
        << " dropped (older than " << configuration.payload_retention_days << " days), " << counts.trend_rows
        << " trend score" << (counts.trend_rows == 1 ? "" : "s") << " dropped (older than "
        << configuration.trend_retention_days << " days)\n";
  });
}

}  // namespace alliance::control
