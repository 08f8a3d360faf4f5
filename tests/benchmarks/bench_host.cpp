#include "bench_host.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace benchmarks {
namespace {

BenchHost& host_of(thp_host* host) { return *reinterpret_cast<BenchHost*>(host); }

thp_str view(std::string_view text) { return {text.data(), text.size()}; }

std::string_view text_of(thp_str text) {
  if (text.len == 0 || text.ptr == nullptr) return {};
  return {text.ptr, text.len};
}

// The session index in "bench-<index>", or -1 for any other id.
long long session_index_of(std::string_view session_id) {
  if (session_id.substr(0, session_prefix.size()) != session_prefix) return -1;
  const std::string_view digits = session_id.substr(session_prefix.size());
  long long index = -1;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (error != std::errc() || end != digits.data() + digits.size()) return -1;
  return index;
}

}  // namespace

std::string session_id_for(std::size_t index) { return std::string(session_prefix) + std::to_string(index); }

BenchHost::BenchHost(std::size_t sessions)
    : outcome_panels_(new std::atomic<thp_panel_id>[sessions]),
      session_capacity_(sessions),
      saved_at_(new std::atomic<std::int64_t>[3 * sessions + 16]),
      panel_capacity_(3 * sessions + 16) {
  for (std::size_t index = 0; index < session_capacity_; ++index) outcome_panels_[index].store(0);
  for (std::size_t index = 0; index < panel_capacity_; ++index) saved_at_[index].store(0);
  panels_.reserve(panel_capacity_);
  api_.struct_size = sizeof(thp_host_api);
  api_.abi_major = THP_ABI_MAJOR;
  api_.abi_minor = THP_ABI_MINOR;
  api_.host = reinterpret_cast<thp_host*>(this);
  api_.flags = THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD;
  api_.log = &BenchHost::log_entry;
  api_.panel_open = &BenchHost::panel_open_entry;
  api_.panel_post = &BenchHost::panel_post_entry;
  api_.panel_close = &BenchHost::panel_close_entry;
  api_.run_on_host_thread = &BenchHost::run_on_host_thread_entry;
}

BenchHost::~BenchHost() {
  // A plugin that was never shut down may still call in; the process is ending anyway.
  if (loaded_ && !stopped_) shut_down(5000);
}

bool BenchHost::load(const std::string& plugin_path, const std::string& configuration, const std::string& origin,
                     std::string& error) {
  void* library = dlopen(plugin_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* reason = dlerror();
    error = "cannot load " + plugin_path + ": " + (reason != nullptr ? reason : "dlopen failed");
    return false;
  }
  // Like a host platform, the benchmark never unloads the library (no dlclose).
  void* symbol = dlsym(library, THP_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    error = plugin_path + " does not export " THP_ENTRY_SYMBOL;
    return false;
  }
  const auto entry = reinterpret_cast<thp_plugin_entry_fn>(symbol);
  std::memset(&plugin_, 0, sizeof plugin_);
  plugin_.struct_size = sizeof(thp_plugin_api);
  std::array<char, 4096> reason{};
  const thp_status status =
      entry(&api_, view(configuration), view(origin), &plugin_, reason.data(), reason.size());
  reason.back() = '\0';
  if (status != THP_OK) {
    error = plugin_path + " refused to start (status " + std::to_string(status) + "): " + reason.data();
    return false;
  }
  if (plugin_.abi_major != THP_ABI_MAJOR || !THP_HAS_MEMBER(&plugin_, thp_plugin_api, panel_closed) ||
      plugin_.shutdown == nullptr || plugin_.session_started == nullptr || plugin_.session_ended == nullptr ||
      plugin_.panel_message == nullptr) {
    error = plugin_path + " filled a hook table this host cannot use (ABI " + std::to_string(plugin_.abi_major) +
            "." + std::to_string(plugin_.abi_minor) + ")";
    return false;
  }
  loaded_ = true;
  return true;
}

thp_status BenchHost::shut_down(std::uint32_t timeout_ms) {
  const thp_status status = plugin_.shutdown(plugin_.plugin, timeout_ms);
  std::deque<QueuedTask> leftover;
  {
    std::lock_guard lock(wait_mutex_);
    stopped_ = true;
    leftover.swap(tasks_);
  }
  // The header promises every accepted task exactly one call.
  for (const QueuedTask& task : leftover) task.function(task.user_data, THP_TASK_CANCELLED);
  return status;
}

std::string BenchHost::first_error() const {
  std::lock_guard lock(wait_mutex_);
  return first_error_;
}

thp_panel_id BenchHost::outcome_panel_of(std::size_t session_index) const {
  return session_index < session_capacity_ ? outcome_panels_[session_index].load(std::memory_order_acquire) : 0;
}

std::int64_t BenchHost::saved_at(thp_panel_id panel) const {
  return panel >= 1 && panel <= panel_capacity_ ? saved_at_[panel - 1].load(std::memory_order_acquire) : 0;
}

bool BenchHost::wait_until(const std::function<bool()>& condition, Clock::time_point deadline) {
  std::unique_lock lock(wait_mutex_);
  while (true) {
    while (!tasks_.empty()) {
      const QueuedTask task = tasks_.front();
      tasks_.pop_front();
      lock.unlock();  // the task calls back into the host
      task.function(task.user_data, THP_TASK_RUN);
      lock.lock();
    }
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    changed_.wait_until(lock, deadline);
  }
}

void BenchHost::signal() {
  { std::lock_guard lock(wait_mutex_); }
  changed_.notify_one();
}

// --- The C entry points: nothing may be thrown across them. ---

void BenchHost::log_entry(thp_host* host, thp_log_level level, thp_str message) {
  try {
    host_of(host).log(level, message);
  } catch (...) {
  }
}

thp_status BenchHost::panel_open_entry(thp_host* host, thp_str session_id, thp_str participant_id, thp_str title,
                                       thp_str html, thp_panel_id* out_panel) {
  try {
    return host_of(host).panel_open(session_id, participant_id, title, html, out_panel);
  } catch (...) {
    return THP_ERROR_INTERNAL;
  }
}

thp_status BenchHost::panel_post_entry(thp_host* host, thp_panel_id panel, thp_str json) {
  try {
    return host_of(host).panel_post(panel, json);
  } catch (...) {
    return THP_ERROR_INTERNAL;
  }
}

thp_status BenchHost::panel_close_entry(thp_host* host, thp_panel_id panel) {
  // The benchmarks never look at a panel again once the plugin closes it.
  return host_of(host).stopped_ ? THP_ERROR_UNAVAILABLE : (panel == 0 ? THP_ERROR_NOT_FOUND : THP_OK);
}

thp_status BenchHost::run_on_host_thread_entry(thp_host* host, thp_host_task task, void* user_data) {
  try {
    return host_of(host).run_on_host_thread(task, user_data);
  } catch (...) {
    return THP_ERROR_INTERNAL;
  }
}

// --- Host functions as the plugin sees them: count, remember a few numbers, return. ---

void BenchHost::log(thp_log_level level, thp_str message) {
  if (level < THP_LOG_WARNING) return;
  if (level == THP_LOG_WARNING) {
    warnings_logged_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Errors are rare; the first one is kept to explain a run that went wrong.
  if (errors_logged_.fetch_add(1, std::memory_order_relaxed) == 0) {
    std::lock_guard lock(wait_mutex_);
    first_error_ = std::string(text_of(message));
  }
}

thp_status BenchHost::panel_open(thp_str session_id, thp_str participant_id, thp_str title, thp_str html,
                                 thp_panel_id* out_panel) {
  if (stopped_) return THP_ERROR_UNAVAILABLE;
  if (out_panel == nullptr || html.len == 0) return THP_ERROR_INVALID_ARGUMENT;
  const long long session_index = session_index_of(text_of(session_id));
  if (session_index < 0 || static_cast<std::size_t>(session_index) >= session_capacity_) return THP_ERROR_NOT_FOUND;

  PanelRecord record;
  record.session_index = static_cast<std::uint32_t>(session_index);
  if (text_of(participant_id) != "client") {
    record.kind = PanelKind::clinician;
  } else {
    // The measure panels are titled after their Questionnaire: "... (ORS)", "... (SRS)".
    record.kind = text_of(title).find("(ORS)") != std::string_view::npos ? PanelKind::outcome_rating
                                                                          : PanelKind::session_rating;
  }
  thp_panel_id panel = 0;
  {
    std::lock_guard lock(panels_mutex_);
    if (panels_.size() >= panel_capacity_) return THP_ERROR_UNAVAILABLE;
    panels_.push_back(record);
    panel = panels_.size();
  }
  if (record.kind == PanelKind::outcome_rating) {
    outcome_panels_[record.session_index].store(panel, std::memory_order_release);
  }
  *out_panel = panel;
  panels_opened_.fetch_add(1, std::memory_order_release);
  signal();
  return THP_OK;
}

thp_status BenchHost::panel_post(thp_panel_id panel, thp_str json) {
  if (stopped_) return THP_ERROR_UNAVAILABLE;
  if (panel == 0 || panel > panel_capacity_) return THP_ERROR_NOT_FOUND;
  if (json.len > 0 && json.ptr == nullptr) return THP_ERROR_INVALID_ARGUMENT;
  // The plugin writes {"measure":"ORS","type":"saved"}: a substring test is enough, and
  // parsing every result message would put the host's cost into the figure.
  if (text_of(json).find("\"type\":\"saved\"") != std::string_view::npos) {
    saved_at_[panel - 1].store(now_nanoseconds(), std::memory_order_release);
    saved_messages_.fetch_add(1, std::memory_order_release);
    signal();
  }
  return THP_OK;
}

thp_status BenchHost::run_on_host_thread(thp_host_task task, void* user_data) {
  if (task == nullptr) return THP_ERROR_INVALID_ARGUMENT;
  {
    std::lock_guard lock(wait_mutex_);
    if (stopped_) return THP_ERROR_UNAVAILABLE;
    tasks_.push_back({task, user_data});
  }
  changed_.notify_one();
  return THP_OK;
}

// --- Figures. ---

ResidentMemory read_resident_memory() {
  ResidentMemory memory;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string name;
    std::uint64_t kib = 0;
    fields >> name >> kib;
    if (name == "VmRSS:") memory.resident_kib = kib;
    if (name == "VmHWM:") memory.peak_kib = kib;
  }
  return memory;
}

Distribution summarize(std::vector<std::int64_t> values) {
  Distribution result;
  if (values.empty()) return result;
  std::sort(values.begin(), values.end());
  const auto rank = [&values](double percent) {
    const auto index = static_cast<std::size_t>(percent / 100.0 * static_cast<double>(values.size()));
    return values[std::min(values.size() - 1, index)];
  };
  result.count = values.size();
  result.p50 = rank(50);
  result.p99 = rank(99);
  result.p999 = rank(99.9);
  result.maximum = values.back();
  return result;
}

}  // namespace benchmarks
