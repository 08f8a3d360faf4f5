#include "host.hpp"

#include "abi_names.hpp"

#include <iostream>
#include <optional>

namespace host_sim {
namespace {

// A thp_str whose ptr is NULL while len is not zero is malformed; the header allows
// NULL only for the empty string.
std::optional<std::string_view> view_of(thp_str text) {
  if (text.len == 0) return std::string_view();
  if (text.ptr == nullptr) return std::nullopt;
  return std::string_view(text.ptr, text.len);
}

std::string in_quotes(std::string_view text) { return "\"" + abbreviate(text, 120) + "\""; }

Host& host_of(thp_host* host) { return *reinterpret_cast<Host*>(host); }

std::string compact(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

Host::Host(HostOptions options, const RunClock& clock, Transcript& transcript,
           HookWatchdog& watchdog)
    : options_(options),
      clock_(clock),
      transcript_(transcript),
      watchdog_(watchdog),
      host_thread_(std::this_thread::get_id()) {
  api_.struct_size = sizeof(thp_host_api);
  api_.abi_major = THP_ABI_MAJOR;
  api_.abi_minor = THP_ABI_MINOR;
  api_.host = reinterpret_cast<thp_host*>(this);
  api_.flags = options_.panel_calls == PanelCallPolicy::AnyThread
                   ? THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD
                   : 0u;
  api_.log = &Host::log_entry;
  api_.panel_open = &Host::panel_open_entry;
  api_.panel_post = &Host::panel_post_entry;
  api_.panel_close = &Host::panel_close_entry;
  api_.run_on_host_thread = &Host::run_on_host_thread_entry;
}

// --- The C entry points. Nothing may be thrown across the C boundary. ---

void Host::log_entry(thp_host* host, thp_log_level level, thp_str message) {
  try {
    host_of(host).log(level, message);
  } catch (...) {
    // log never fails; losing one line under memory pressure is allowed.
  }
}

thp_status Host::panel_open_entry(thp_host* host, thp_str session_id, thp_str participant_id,
                                  thp_str title, thp_str html, thp_panel_id* out_panel) {
  try {
    return host_of(host).panel_open(session_id, participant_id, title, html, out_panel);
  } catch (...) {
    return THP_ERROR_INTERNAL;
  }
}

thp_status Host::panel_post_entry(thp_host* host, thp_panel_id panel, thp_str json) {
  try {
    return host_of(host).panel_post(panel, json);
  } catch (...) {
    return THP_ERROR_INTERNAL;
  }
}

thp_status Host::panel_close_entry(thp_host* host, thp_panel_id panel) {
  try {
    return host_of(host).panel_close(panel);
  } catch (...) {
    return THP_ERROR_INTERNAL;
  }
}

thp_status Host::run_on_host_thread_entry(thp_host* host, thp_host_task task, void* user_data) {
  try {
    return host_of(host).run_on_host_thread(task, user_data);
  } catch (...) {
    return THP_ERROR_INTERNAL;
  }
}

// --- Host functions as the plugin sees them. ---

void Host::log(thp_log_level level, thp_str message) {
  std::optional<std::string_view> text = view_of(message);
  bool host_thread = on_host_thread();
  std::lock_guard lock(mutex_);
  if (stopped_) {
    record_failure_locked("plugin called log after its shutdown returned");
    return;
  }
  if (!text) {
    record_failure_locked("plugin called log with a NULL message of length " +
                          std::to_string(message.len));
    return;
  }
  state_.logs.push_back({log_level_name(level), std::string(*text), host_thread});
  if (options_.verbose) {
    std::cerr << "[" << clock_.elapsed_ms() << " ms] plugin log (" << log_level_name(level)
              << (host_thread ? ", host thread" : ", plugin thread") << "): " << *text
              << std::endl;
  }
}

thp_status Host::admit_panel_call(std::string_view function) {
  if (stopped_) {
    record_failure_locked("plugin called " + std::string(function) +
                          " after its shutdown returned");
    return THP_ERROR_UNAVAILABLE;
  }
  if (options_.panel_calls == PanelCallPolicy::HostThreadOnly && !on_host_thread()) {
    record_failure_locked("plugin called " + std::string(function) + " from a non-host thread");
    return THP_ERROR_WRONG_THREAD;
  }
  return THP_OK;
}

thp_status Host::panel_open(thp_str session_id, thp_str participant_id, thp_str title,
                            thp_str html, thp_panel_id* out_panel) {
  std::lock_guard lock(mutex_);
  if (thp_status admitted = admit_panel_call("panel_open"); admitted != THP_OK) return admitted;

  std::optional<std::string_view> session = view_of(session_id);
  std::optional<std::string_view> participant = view_of(participant_id);
  std::optional<std::string_view> title_text = view_of(title);
  std::optional<std::string_view> document = view_of(html);
  if (!session || !participant || !title_text || !document) {
    record_failure_locked("plugin called panel_open with a string view whose pointer is NULL "
                          "but whose length is not 0");
    return THP_ERROR_INVALID_ARGUMENT;
  }
  if (out_panel == nullptr) {
    record_failure_locked("plugin called panel_open with a NULL out_panel");
    return THP_ERROR_INVALID_ARGUMENT;
  }
  if (document->empty() || document->size() > largest_panel_html_bytes) {
    record_failure_locked("plugin called panel_open for " + in_quotes(*title_text) + " with " +
                          std::to_string(document->size()) +
                          " bytes of HTML (must be 1 to " +
                          std::to_string(largest_panel_html_bytes) + ")");
    return THP_ERROR_INVALID_ARGUMENT;
  }

  // Refusals for people or sessions the host does not know are not contract
  // violations: a plugin thread can race with a participant leaving. After
  // session_ended the post-session window is still open (the ABI header's panel
  // window): panels for participants who have not left are accepted until it closes.
  const char* refusal = nullptr;
  auto known_session = state_.sessions.find(*session);
  const Attendee* attendee = state_.find_attendee(*session, *participant);
  auto window = state_.window_closes_at_ms.find(*session);
  if (known_session == state_.sessions.end()) {
    refusal = "unknown session";
  } else if (window != state_.window_closes_at_ms.end() && clock_.elapsed_ms() >= window->second) {
    refusal = "the post-session window has closed";
  } else if (attendee == nullptr) {
    refusal = "unknown participant";
  } else if (!attendee->present) {
    refusal = "the participant is not in the call";
  }
  if (refusal != nullptr) {
    transcript_.event("plugin could not open panel " + in_quotes(*title_text) + " for " +
                      in_quotes(*participant) + " in session " + in_quotes(*session) +
                      ": THP_ERROR_NOT_FOUND (" + refusal + ")");
    return THP_ERROR_NOT_FOUND;
  }

  PanelRecord panel;
  panel.panel_id = state_.panels.size() + 1;
  panel.session_id = std::string(*session);
  panel.participant_id = std::string(*participant);
  panel.title = std::string(*title_text);
  panel.html = std::string(*document);
  panel.opened_at_ms = clock_.elapsed_ms();
  panel.opened_on_host_thread = on_host_thread();
  state_.panels.push_back(std::move(panel));
  const PanelRecord& opened = state_.panels.back();
  *out_panel = opened.panel_id;

  transcript_.event("plugin opened panel " + std::to_string(opened.panel_id) + " for " +
                    state_.display_name(opened.session_id, opened.participant_id) + ": " +
                    in_quotes(opened.title) +
                    (opened.opened_on_host_thread ? "" : " (from a plugin thread)"));
  notify_changed_locked();
  return THP_OK;
}

thp_status Host::panel_post(thp_panel_id panel_id, thp_str json) {
  std::lock_guard lock(mutex_);
  if (thp_status admitted = admit_panel_call("panel_post"); admitted != THP_OK) return admitted;

  std::optional<std::string_view> text = view_of(json);
  if (!text) {
    record_failure_locked("plugin called panel_post with a NULL json of length " +
                          std::to_string(json.len));
    return THP_ERROR_INVALID_ARGUMENT;
  }
  PanelRecord* panel = state_.find_panel(panel_id);
  if (panel == nullptr || !panel->is_open()) {
    transcript_.event("plugin could not post to panel " + std::to_string(panel_id) +
                      ": THP_ERROR_NOT_FOUND (" +
                      (panel == nullptr ? "no such panel" : "the panel is closed") + ")");
    return THP_ERROR_NOT_FOUND;
  }
  nlohmann::ordered_json message;
  try {
    message = nlohmann::ordered_json::parse(*text);
  } catch (const nlohmann::ordered_json::exception& error) {
    record_failure_locked("plugin posted text that is not JSON to panel " +
                          std::to_string(panel_id) + " (" + error.what() + "): " +
                          abbreviate(*text, 120));
    return THP_ERROR_INVALID_ARGUMENT;
  }

  std::string line = "plugin -> panel " + std::to_string(panel_id) + " (" +
                     state_.display_name(panel->session_id, panel->participant_id) +
                     "): " + abbreviate(compact(message));
  // The plugin puts human-readable result text in "summary"; show it in full.
  auto summary = message.is_object() ? message.find("summary") : message.end();
  if (summary != message.end() && summary->is_string()) {
    transcript_.event_with_detail(line, summary->get_ref<const std::string&>());
  } else {
    transcript_.event(line);
  }
  panel->to_panel.push_back(std::move(message));
  notify_changed_locked();
  return THP_OK;
}

thp_status Host::panel_close(thp_panel_id panel_id) {
  std::lock_guard lock(mutex_);
  if (thp_status admitted = admit_panel_call("panel_close"); admitted != THP_OK) return admitted;

  PanelRecord* panel = state_.find_panel(panel_id);
  if (panel == nullptr || !panel->is_open()) {
    transcript_.event("plugin could not close panel " + std::to_string(panel_id) +
                      ": THP_ERROR_NOT_FOUND (" +
                      (panel == nullptr ? "no such panel" : "the panel is already closed") + ")");
    return THP_ERROR_NOT_FOUND;
  }
  panel->closed_at_ms = clock_.elapsed_ms();
  panel->closed_by = ClosedBy::Plugin;
  transcript_.event("plugin closed panel " + std::to_string(panel_id) + " (" +
                    state_.display_name(panel->session_id, panel->participant_id) + ")");
  notify_changed_locked();
  return THP_OK;
}

thp_status Host::run_on_host_thread(thp_host_task task, void* user_data) {
  std::lock_guard lock(mutex_);
  if (stopped_) {
    record_failure_locked("plugin called run_on_host_thread after its shutdown returned");
    return THP_ERROR_UNAVAILABLE;
  }
  if (task == nullptr) {
    record_failure_locked("plugin called run_on_host_thread with a NULL task");
    return THP_ERROR_INVALID_ARGUMENT;
  }
  tasks_.push_back({task, user_data});
  notify_changed_locked();
  return THP_OK;
}

// --- The scenario runner's side. ---

void Host::register_session(const std::string& session_id,
                            const std::vector<std::pair<std::string, Attendee>>& attendees) {
  std::lock_guard lock(mutex_);
  auto& known = state_.sessions[session_id];
  for (const auto& [participant_id, attendee] : attendees) known.emplace(participant_id, attendee);
  changed_.notify_all();
}

void Host::set_present(std::string_view session_id, std::string_view participant_id,
                       bool present) {
  std::lock_guard lock(mutex_);
  auto session = state_.sessions.find(session_id);
  if (session == state_.sessions.end()) return;
  auto attendee = session->second.find(participant_id);
  if (attendee != session->second.end()) attendee->second.present = present;
}

void Host::end_session(std::string_view session_id, std::chrono::milliseconds window) {
  std::lock_guard lock(mutex_);
  // A repeated end does not move the window.
  state_.window_closes_at_ms.emplace(std::string(session_id), clock_.elapsed_ms() + window.count());
}

std::vector<Host::WindowClosing> Host::close_expired_windows() {
  std::lock_guard lock(mutex_);
  std::vector<WindowClosing> closed;
  const std::int64_t now = clock_.elapsed_ms();
  for (PanelRecord& panel : state_.panels) {
    if (!panel.is_open()) continue;
    auto window = state_.window_closes_at_ms.find(panel.session_id);
    if (window == state_.window_closes_at_ms.end() || now < window->second) continue;
    panel.closed_at_ms = now;
    panel.closed_by = ClosedBy::Host;
    panel.close_reason = THP_PANEL_PARTICIPANT_LEFT;
    closed.push_back({panel.session_id, panel.panel_id});
  }
  if (!closed.empty()) changed_.notify_all();
  return closed;
}

std::vector<thp_panel_id> Host::close_open_panels_of(std::string_view session_id,
                                                     std::string_view participant_id,
                                                     thp_panel_close_reason reason) {
  std::lock_guard lock(mutex_);
  std::vector<thp_panel_id> closed;
  for (PanelRecord& panel : state_.panels) {
    if (panel.session_id != session_id || panel.participant_id != participant_id ||
        !panel.is_open()) {
      continue;
    }
    panel.closed_at_ms = clock_.elapsed_ms();
    panel.closed_by = ClosedBy::Host;
    panel.close_reason = reason;
    closed.push_back(panel.panel_id);
  }
  changed_.notify_all();
  return closed;
}

bool Host::close_panel(thp_panel_id panel_id, thp_panel_close_reason reason) {
  std::lock_guard lock(mutex_);
  PanelRecord* panel = state_.find_panel(panel_id);
  if (panel == nullptr || !panel->is_open()) return false;
  panel->closed_at_ms = clock_.elapsed_ms();
  panel->closed_by = ClosedBy::Host;
  panel->close_reason = reason;
  changed_.notify_all();
  return true;
}

void Host::note_message_to_plugin(thp_panel_id panel_id, std::string text) {
  std::lock_guard lock(mutex_);
  if (PanelRecord* panel = state_.find_panel(panel_id)) panel->from_panel.push_back(std::move(text));
}

void Host::record_failure(std::string failure) {
  std::lock_guard lock(mutex_);
  record_failure_locked(std::move(failure));
}

void Host::set_change_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  change_listener_ = std::move(listener);
}

void Host::notify_changed_locked() {
  changed_.notify_all();
  if (change_listener_) change_listener_();
}

void Host::record_failure_locked(std::string failure) {
  transcript_.event("FAILED " + failure);
  state_.failures.push_back(std::move(failure));
}

void Host::inspect(const std::function<void(const HostState&)>& reader) const {
  std::lock_guard lock(mutex_);
  reader(state_);
}

HostState Host::snapshot() const {
  std::lock_guard lock(mutex_);
  return state_;
}

// --- The host thread's task loop. ---

void Host::run_task(const QueuedTask& task, thp_task_disposition disposition) {
  WatchdogScope watch(watchdog_, "a task the plugin queued with run_on_host_thread",
                      options_.task_limit);
  task.function(task.user_data, disposition);
}

bool Host::run_tasks_until(const std::function<bool(const HostState&)>& condition,
                           std::chrono::steady_clock::time_point deadline) {
  run_ready_tasks();
  std::unique_lock lock(mutex_);
  while (true) {
    if (condition && condition(state_)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (!tasks_.empty()) {
      QueuedTask task = tasks_.front();
      tasks_.pop_front();
      // Unlocked: the task will call back into the host.
      lock.unlock();
      run_task(task, THP_TASK_RUN);
      lock.lock();
      continue;
    }
    changed_.wait_until(lock, deadline);
  }
}

void Host::run_tasks_for(std::chrono::milliseconds duration) {
  run_tasks_until(nullptr, std::chrono::steady_clock::now() + duration);
}

void Host::run_ready_tasks() {
  std::deque<QueuedTask> ready;
  {
    std::lock_guard lock(mutex_);
    ready.swap(tasks_);
  }
  // Tasks these tasks queue wait for the next round, so that a task that keeps
  // re-queuing itself cannot hold the host thread forever.
  for (const QueuedTask& task : ready) run_task(task, THP_TASK_RUN);
}

std::size_t Host::stop_and_cancel_tasks() {
  std::deque<QueuedTask> leftover;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    leftover.swap(tasks_);
  }
  // The header promises each accepted task exactly one call; these get theirs now.
  for (const QueuedTask& task : leftover) run_task(task, THP_TASK_CANCELLED);
  return leftover.size();
}

}  // namespace host_sim
