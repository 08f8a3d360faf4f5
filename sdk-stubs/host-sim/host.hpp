#pragma once

// The host side of the plugin ABI: the thp_host_api table a plugin calls, the task
// queue behind run_on_host_thread, and the checks a real host would make on every
// call. Everything the plugin does is recorded in a HostState for the scenario
// runner to wait on and for the record file.
//
// Threads: the thread that constructs the Host is the host thread. It calls every
// plugin hook and runs queued tasks whenever it waits. Plugin threads may call log
// and run_on_host_thread at any time, and the panel functions too when the policy
// allows it; one mutex guards all state, and a condition variable wakes the host
// thread when a task arrives or a panel changes.

#include "host_state.hpp"
#include "hook_watchdog.hpp"
#include "run_clock.hpp"
#include "transcript.hpp"

#include <telehealth/plugin_abi.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace host_sim {

enum class PanelCallPolicy { HostThreadOnly, AnyThread };

struct HostOptions {
  PanelCallPolicy panel_calls = PanelCallPolicy::AnyThread;
  bool verbose = false;
  // How long one queued task may run on the host thread before the watchdog fires.
  std::chrono::milliseconds task_limit{5000};
};

// A panel's HTML may not be larger than this (a real host's frame limit).
inline constexpr std::size_t largest_panel_html_bytes = 1024 * 1024;

class Host {
 public:
  Host(HostOptions options, const RunClock& clock, Transcript& transcript, HookWatchdog& watchdog);
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // The table handed to the plugin; valid for the Host's lifetime.
  const thp_host_api* api() const { return &api_; }

  // --- Called by the scenario runner, on the host thread. ---

  // A session the plugin is told about; repeated registration keeps existing state.
  void register_session(const std::string& session_id,
                        const std::vector<std::pair<std::string, Attendee>>& attendees);
  void set_present(std::string_view session_id, std::string_view participant_id, bool present);
  // The session has ended: its post-session window is open for `window` from now.
  // panel_open is accepted for participants who have not left until it closes.
  void end_session(std::string_view session_id, std::chrono::milliseconds window);
  // A panel the host closed because a session's post-session window closed.
  struct WindowClosing {
    std::string session_id;
    thp_panel_id panel_id = 0;
  };
  // For every session whose window has closed by now: closes its open panels as the
  // host (THP_PANEL_PARTICIPANT_LEFT), as the header says a host does, and returns
  // them so that the runner reports each through panel_closed.
  std::vector<WindowClosing> close_expired_windows();
  // Closes (as the host) every open panel of the participant; returns their ids.
  std::vector<thp_panel_id> close_open_panels_of(std::string_view session_id,
                                                 std::string_view participant_id,
                                                 thp_panel_close_reason reason);
  // Closes one panel as the host; false when it is unknown or already closed.
  bool close_panel(thp_panel_id panel_id, thp_panel_close_reason reason);
  // Remembers text the host is about to deliver to the plugin from a panel's page.
  void note_message_to_plugin(thp_panel_id panel_id, std::string text);
  // Records (and prints) a failed expectation or a plugin contract violation.
  void record_failure(std::string failure);
  // `listener` is called whenever the plugin queues a task or opens, posts to or
  // closes a panel, from the thread that made the call and under the Host's lock: it
  // must only take note (the live server posts a wake-up to its event loop) and never
  // call the Host. An empty function removes it. The scripted runner needs none.
  void set_change_listener(std::function<void()> listener);

  // Calls `reader` with the state, under the lock; `reader` must not call the Host.
  void inspect(const std::function<void(const HostState&)>& reader) const;
  HostState snapshot() const;

  // Runs queued tasks until `condition` holds (checked under the lock after every
  // change) or `deadline` passes. Returns whether the condition held.
  bool run_tasks_until(const std::function<bool(const HostState&)>& condition,
                       std::chrono::steady_clock::time_point deadline);
  void run_tasks_for(std::chrono::milliseconds duration);
  // Runs the tasks queued right now, without waiting for more.
  void run_ready_tasks();
  // After the plugin's shutdown returned: refuses further calls and calls every task
  // still queued with THP_TASK_CANCELLED. Returns how many were cancelled.
  std::size_t stop_and_cancel_tasks();

 private:
  struct QueuedTask {
    thp_host_task function;
    void* user_data;
  };

  // The C entry points in the table; each finds its Host and forwards.
  static void log_entry(thp_host* host, thp_log_level level, thp_str message);
  static thp_status panel_open_entry(thp_host* host, thp_str session_id, thp_str participant_id,
                                     thp_str title, thp_str html, thp_panel_id* out_panel);
  static thp_status panel_post_entry(thp_host* host, thp_panel_id panel, thp_str json);
  static thp_status panel_close_entry(thp_host* host, thp_panel_id panel);
  static thp_status run_on_host_thread_entry(thp_host* host, thp_host_task task, void* user_data);

  void log(thp_log_level level, thp_str message);
  thp_status panel_open(thp_str session_id, thp_str participant_id, thp_str title, thp_str html,
                        thp_panel_id* out_panel);
  thp_status panel_post(thp_panel_id panel_id, thp_str json);
  thp_status panel_close(thp_panel_id panel_id);
  thp_status run_on_host_thread(thp_host_task task, void* user_data);

  bool on_host_thread() const { return std::this_thread::get_id() == host_thread_; }
  // The status every panel function returns before looking at its arguments: THP_OK
  // when the call may proceed. Records the violation otherwise. Needs the lock.
  thp_status admit_panel_call(std::string_view function);
  void record_failure_locked(std::string failure);
  // Wakes whoever waits for the plugin: the scripted runner and the change listener.
  void notify_changed_locked();
  void run_task(const QueuedTask& task, thp_task_disposition disposition);

  HostOptions options_;
  const RunClock& clock_;
  Transcript& transcript_;
  HookWatchdog& watchdog_;
  std::thread::id host_thread_;
  thp_host_api api_{};

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> change_listener_;
  HostState state_;
  std::deque<QueuedTask> tasks_;
  bool stopped_ = false;
};

}  // namespace host_sim
