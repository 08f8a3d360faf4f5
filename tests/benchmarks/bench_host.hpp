// A minimal host for the benchmarks: it loads a plugin the way a host platform does
// (dlopen, thp_plugin_entry, nothing but the ABI header) and implements thp_host_api
// with as little work per call as it can, so that what the benchmarks time is the
// plugin and not the host.
//
// Threads: the thread that calls load() is the host thread; it calls every hook and
// runs queued tasks while it waits. The plugin may call every host function from any
// thread (THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD). Counters are atomics; the panel
// table has its own mutex; a condition variable wakes the host thread when anything
// it may wait for changes.
#pragma once

#include <telehealth/plugin_abi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace benchmarks {

using Clock = std::chrono::steady_clock;

// Nanoseconds on the steady clock since its epoch: what the host keeps per panel.
inline std::int64_t now_nanoseconds() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// Which of a session's panels this is, as far as the benchmarks care.
enum class PanelKind : std::uint8_t { clinician, outcome_rating, session_rating };

// What the host remembers of one opened panel: no HTML, no titles.
struct PanelRecord {
  std::uint32_t session_index = 0;
  PanelKind kind = PanelKind::clinician;
};

// Sessions the benchmarks start are named "bench-<index>", so that the host can tell
// which session a panel belongs to from the id alone.
inline constexpr std::string_view session_prefix = "bench-";
std::string session_id_for(std::size_t index);

class BenchHost {
 public:
  // `sessions` sizes the per-session and per-panel tables up front (each session has
  // at most three panels), so that the host allocates next to nothing while the plugin
  // runs, and the baseline memory figure already includes them.
  explicit BenchHost(std::size_t sessions);
  ~BenchHost();
  BenchHost(const BenchHost&) = delete;
  BenchHost& operator=(const BenchHost&) = delete;

  // Loads the plugin and calls its entry with `configuration`. On failure returns
  // false and sets `error`. The library stays loaded for the life of the process.
  bool load(const std::string& plugin_path, const std::string& configuration, const std::string& origin,
            std::string& error);
  const thp_plugin_api& plugin() const { return plugin_; }

  // Calls the plugin's shutdown, then cancels tasks still queued. Returns its status.
  thp_status shut_down(std::uint32_t timeout_ms);

  // Counters the plugin's calls move. Any thread.
  std::uint64_t panels_opened() const { return panels_opened_.load(std::memory_order_acquire); }
  std::uint64_t saved_messages() const { return saved_messages_.load(std::memory_order_acquire); }
  std::uint64_t warnings_logged() const { return warnings_logged_.load(std::memory_order_relaxed); }
  std::uint64_t errors_logged() const { return errors_logged_.load(std::memory_order_relaxed); }
  std::string first_error() const;

  // The ORS panel the plugin opened for session `index`, or 0 if none (yet).
  thp_panel_id outcome_panel_of(std::size_t session_index) const;
  // When the plugin posted {"type":"saved"} to `panel` (now_nanoseconds), or 0.
  std::int64_t saved_at(thp_panel_id panel) const;

  // Host thread. Runs queued tasks and waits until `condition` holds or `deadline`
  // passes; returns whether it holds. `condition` reads only the counters above.
  bool wait_until(const std::function<bool()>& condition, Clock::time_point deadline);

 private:
  struct QueuedTask {
    thp_host_task function;
    void* user_data;
  };

  static void log_entry(thp_host* host, thp_log_level level, thp_str message);
  static thp_status panel_open_entry(thp_host* host, thp_str session_id, thp_str participant_id, thp_str title,
                                     thp_str html, thp_panel_id* out_panel);
  static thp_status panel_post_entry(thp_host* host, thp_panel_id panel, thp_str json);
  static thp_status panel_close_entry(thp_host* host, thp_panel_id panel);
  static thp_status run_on_host_thread_entry(thp_host* host, thp_host_task task, void* user_data);

  void log(thp_log_level level, thp_str message);
  thp_status panel_open(thp_str session_id, thp_str participant_id, thp_str title, thp_str html,
                        thp_panel_id* out_panel);
  thp_status panel_post(thp_panel_id panel, thp_str json);
  thp_status run_on_host_thread(thp_host_task task, void* user_data);
  // Wakes the host thread if it waits. Locks the mutex briefly so that no wakeup is lost.
  void signal();

  thp_host_api api_{};
  thp_plugin_api plugin_{};
  bool loaded_ = false;

  std::atomic<std::uint64_t> panels_opened_{0};
  std::atomic<std::uint64_t> saved_messages_{0};
  std::atomic<std::uint64_t> warnings_logged_{0};
  std::atomic<std::uint64_t> errors_logged_{0};
  std::atomic<bool> stopped_{false};

  mutable std::mutex panels_mutex_;
  std::vector<PanelRecord> panels_;  // index = panel id - 1
  std::unique_ptr<std::atomic<thp_panel_id>[]> outcome_panels_;
  std::size_t session_capacity_ = 0;
  std::unique_ptr<std::atomic<std::int64_t>[]> saved_at_;
  std::size_t panel_capacity_ = 0;

  mutable std::mutex wait_mutex_;
  std::condition_variable changed_;
  std::deque<QueuedTask> tasks_;  // guarded by wait_mutex_
  std::string first_error_;       // guarded by wait_mutex_
};

// VmRSS and VmHWM of this process, in KiB (0 when /proc is not readable).
struct ResidentMemory {
  std::uint64_t resident_kib = 0;
  std::uint64_t peak_kib = 0;
};
ResidentMemory read_resident_memory();

// p50, p99, p99.9 and maximum of a set of durations (nearest rank), in the unit given.
struct Distribution {
  std::size_t count = 0;
  std::int64_t p50 = 0;
  std::int64_t p99 = 0;
  std::int64_t p999 = 0;
  std::int64_t maximum = 0;
};
Distribution summarize(std::vector<std::int64_t> values);

}  // namespace benchmarks
