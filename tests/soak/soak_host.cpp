// The soak's host: loads the plugin through the ABI header alone and runs sessions one
// after another until told to stop, the way a clinic's host would all day. soak.mjs
// starts it, reads what it prints, and kills or stops it at random.
//
//   soak_host --plugin SO --config FILE --first-session N --last-session N
//             [--patients 8] [--pace-ms 200]
//
// Session n is "soak-<n>": a clinician and a client (Patient/soak-p<n mod patients>),
// at Encounter/soak-e<n> (soak.mjs creates the patients and encounters on the server
// first). The client submits the ORS when its panel opens; the session ends; the
// client submits the SRS. An answer the plugin refuses with {"type":"error"} (the store
// locked by another process, say) is sent again after a moment, like a client pressing
// the button again.
//
// Standard output, one line each, flushed at once (soak.mjs reads them as they come):
//   ready pid=<pid>
//   started <n>
//   saved <n> <MEASURE>        the plugin told the client this answer is saved
//   refused <n> <MEASURE>      the plugin answered {"type":"error"}; sent again later
//   stuck <n> <what>           no answer from the plugin within 30 s
//   rss <KiB>                  every 2 s
//   shutdown status=<s> elapsed_ms=<ms> timeout_ms=<ms>
// Standard error: the plugin's log lines. Standard input, one command a line:
//   stop <timeout_ms>          shut the plugin down with that bound, print, exit 0
//   dns-stall on|off           every name lookup (getaddrinfo) waits while on
//   pause | resume             no new session starts while paused (the one running
//                              finishes): delivery then has only its own timers
// End of input: stop 3000.
#include <telehealth/plugin_abi.h>

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "stalling_resolver.hpp"

namespace soak {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kOrsAnswers =
    R"({"type":"submit","measure":"ORS","answers":{"ors-individually":6.1,"ors-interpersonally":5.2,)"
    R"("ors-socially":7.3,"ors-overall":6.4}})";
constexpr std::string_view kSrsAnswers =
    R"({"type":"submit","measure":"SRS","answers":{"srs-relationship":9.1,"srs-goals-and-topics":8.4,)"
    R"("srs-approach-or-method":9.0,"srs-overall":8.7}})";
constexpr auto kAnswerTimeout = std::chrono::seconds(30);
constexpr int kMaximumResubmissions = 60;

struct Options {
  std::string plugin;
  std::string configuration_path;
  long long first_session = 0;
  long long last_session = 0;
  long long patients = 8;
  int pace_ms = 200;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "soak_host: " << problem
            << "\nusage: soak_host --plugin SO --config FILE --first-session N --last-session N "
               "[--patients N] [--pace-ms MS]\n";
  std::exit(2);
}

long long whole_number(const std::string& name, const std::string& text) {
  long long value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) usage(name + " must be a whole number");
  return value;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int index = 1; index < argc; index += 2) {
    const std::string name = argv[index];
    if (index + 1 >= argc) usage(name + " needs a value");
    const std::string value = argv[index + 1];
    if (name == "--plugin") options.plugin = value;
    else if (name == "--config") options.configuration_path = value;
    else if (name == "--first-session") options.first_session = whole_number(name, value);
    else if (name == "--last-session") options.last_session = whole_number(name, value);
    else if (name == "--patients") options.patients = whole_number(name, value);
    else if (name == "--pace-ms") options.pace_ms = static_cast<int>(whole_number(name, value));
    else usage("unknown option " + name);
  }
  if (options.plugin.empty() || options.configuration_path.empty()) usage("--plugin and --config are required");
  if (options.patients == 0) usage("--patients must be at least 1");
  return options;
}

// One line to standard output, whole and at once, from any thread.
void say(const std::string& line) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string_view text_of(thp_str text) {
  if (text.len == 0 || text.ptr == nullptr) return {};
  return {text.ptr, text.len};
}

thp_str view(std::string_view text) { return {text.data(), text.size()}; }

std::uint64_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// What the host knows of one of the client's measure panels.
struct MeasurePanel {
  long long session = -1;
  std::string measure;  // "ORS" or "SRS"
  bool saved = false;
  int refusals = 0;
};

class SoakHost {
 public:
  SoakHost() {
    api_.struct_size = sizeof(thp_host_api);
    api_.abi_major = THP_ABI_MAJOR;
    api_.abi_minor = THP_ABI_MINOR;
    api_.host = reinterpret_cast<thp_host*>(this);
    api_.flags = THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD;
    api_.log = &SoakHost::log_entry;
    api_.panel_open = &SoakHost::panel_open_entry;
    api_.panel_post = &SoakHost::panel_post_entry;
    api_.panel_close = &SoakHost::panel_close_entry;
    api_.run_on_host_thread = &SoakHost::run_on_host_thread_entry;
  }

  void load(const Options& options) {
    std::ifstream file(options.configuration_path);
    std::stringstream text;
    text << file.rdbuf();
    const std::string configuration = text.str();
    if (configuration.empty()) usage("cannot read " + options.configuration_path);
    void* library = dlopen(options.plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) usage(std::string("cannot load the plugin: ") + dlerror());
    const auto entry = reinterpret_cast<thp_plugin_entry_fn>(dlsym(library, THP_ENTRY_SYMBOL));
    if (entry == nullptr) usage("the plugin has no " THP_ENTRY_SYMBOL);
    plugin_.struct_size = sizeof(thp_plugin_api);
    std::array<char, 4096> reason{};
    const thp_status status = entry(&api_, view(configuration), view(options.configuration_path), &plugin_,
                                    reason.data(), reason.size());
    reason.back() = '\0';
    if (status != THP_OK) usage("the plugin refused to start: " + std::string(reason.data()));
  }

  const thp_plugin_api& plugin() const { return plugin_; }

  // Host thread: runs queued tasks until `condition` holds or `deadline` passes.
  bool wait_until(const std::function<bool()>& condition, Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    while (true) {
      while (!tasks_.empty()) {
        const auto [task, user_data] = tasks_.front();
        tasks_.pop_front();
        lock.unlock();
        task(user_data, THP_TASK_RUN);
        lock.lock();
      }
      if (condition()) return true;
      if (Clock::now() >= deadline) return false;
      changed_.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(100)));
    }
  }

  // Under mutex_ (from wait_until's condition): the panel of `session` for `measure`.
  thp_panel_id panel_of(long long session, const std::string& measure) const {
    for (const auto& [panel, record] : panels_) {
      if (record.session == session && record.measure == measure) return panel;
    }
    return 0;
  }
  const MeasurePanel* record_of(thp_panel_id panel) const {
    const auto found = panels_.find(panel);
    return found == panels_.end() ? nullptr : &found->second;
  }
  int refusals_seen(thp_panel_id panel) const {
    const MeasurePanel* record = record_of(panel);
    return record != nullptr ? record->refusals : 0;
  }

  void forget_session(long long session) {
    std::lock_guard lock(mutex_);
    std::erase_if(panels_, [session](const auto& entry) { return entry.second.session == session; });
  }

  thp_status shut_down(std::uint32_t timeout_ms) {
    const thp_status status = plugin_.shutdown(plugin_.plugin, timeout_ms);
    std::deque<std::pair<thp_host_task, void*>> leftover;
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      leftover.swap(tasks_);
    }
    for (const auto& [task, user_data] : leftover) task(user_data, THP_TASK_CANCELLED);
    return status;
  }

  void notify() {
    { std::lock_guard lock(mutex_); }
    changed_.notify_all();
  }

 private:
  static SoakHost& of(thp_host* host) { return *reinterpret_cast<SoakHost*>(host); }

  static void log_entry(thp_host*, thp_log_level level, thp_str message) {
    try {
      static const char* const names[] = {"debug", "info", "warning", "error"};
      const char* name = level >= 0 && level <= 3 ? names[level] : "?";
      std::string line = std::string("plugin ") + name + " " + std::string(text_of(message)) + "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
    } catch (...) {
    }
  }

  static thp_status panel_open_entry(thp_host* host, thp_str session_id, thp_str participant_id, thp_str title,
                                     thp_str, thp_panel_id* out_panel) {
    try {
      return of(host).panel_open(text_of(session_id), text_of(participant_id), text_of(title), out_panel);
    } catch (...) {
      return THP_ERROR_INTERNAL;
    }
  }
  static thp_status panel_post_entry(thp_host* host, thp_panel_id panel, thp_str json) {
    try {
      return of(host).panel_post(panel, text_of(json));
    } catch (...) {
      return THP_ERROR_INTERNAL;
    }
  }
  static thp_status panel_close_entry(thp_host* host, thp_panel_id panel) {
    try {
      SoakHost& self = of(host);
      std::lock_guard lock(self.mutex_);
      if (self.stopped_) return THP_ERROR_UNAVAILABLE;
      self.panels_.erase(panel);
      return THP_OK;
    } catch (...) {
      return THP_ERROR_INTERNAL;
    }
  }
  static thp_status run_on_host_thread_entry(thp_host* host, thp_host_task task, void* user_data) {
    if (task == nullptr) return THP_ERROR_INVALID_ARGUMENT;
    try {
      SoakHost& self = of(host);
      {
        std::lock_guard lock(self.mutex_);
        if (self.stopped_) return THP_ERROR_UNAVAILABLE;
        self.tasks_.emplace_back(task, user_data);
      }
      self.changed_.notify_all();
      return THP_OK;
    } catch (...) {
      return THP_ERROR_INTERNAL;
    }
  }

  thp_status panel_open(std::string_view session_id, std::string_view participant_id, std::string_view title,
                        thp_panel_id* out_panel) {
    if (out_panel == nullptr) return THP_ERROR_INVALID_ARGUMENT;
    long long session = -1;
    if (session_id.rfind("soak-", 0) == 0) {
      const std::string_view digits = session_id.substr(5);
      std::from_chars(digits.data(), digits.data() + digits.size(), session);
    }
    std::lock_guard lock(mutex_);
    if (stopped_) return THP_ERROR_UNAVAILABLE;
    const thp_panel_id panel = ++last_panel_;
    if (participant_id == "client") {
      MeasurePanel record;
      record.session = session;
      record.measure = title.find("(ORS)") != std::string_view::npos   ? "ORS"
                       : title.find("(SRS)") != std::string_view::npos ? "SRS"
                                                                        : "other";
      panels_[panel] = record;
    }
    *out_panel = panel;
    changed_.notify_all();
    return THP_OK;
  }

  thp_status panel_post(thp_panel_id panel, std::string_view json) {
    std::lock_guard lock(mutex_);
    if (stopped_) return THP_ERROR_UNAVAILABLE;
    const auto found = panels_.find(panel);
    if (found == panels_.end()) return THP_OK;  // the clinician's panel: results, trends
    MeasurePanel& record = found->second;
    if (json.find("\"type\":\"saved\"") != std::string_view::npos) {
      // A duplicate confirmation repeats one already told; only the first counts.
      if (!record.saved && json.find("\"duplicate\"") == std::string_view::npos) {
        record.saved = true;
        say("saved " + std::to_string(record.session) + " " + record.measure);
      }
    } else if (json.find("\"type\":\"error\"") != std::string_view::npos) {
      ++record.refusals;
      say("refused " + std::to_string(record.session) + " " + record.measure);
    }
    changed_.notify_all();
    return THP_OK;
  }

  thp_host_api api_{};
  thp_plugin_api plugin_{};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<thp_host_task, void*>> tasks_;
  std::map<thp_panel_id, MeasurePanel> panels_;  // the client's measure panels only
  thp_panel_id last_panel_ = 0;
  bool stopped_ = false;
};

// Commands from soak.mjs, read on their own thread.
struct Commands {
  std::atomic<long long> stop_timeout_ms{-1};
  std::atomic<bool> paused{false};
};

void read_commands(Commands& commands, SoakHost& host) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("stop ", 0) == 0) {
      commands.stop_timeout_ms = std::strtoll(line.c_str() + 5, nullptr, 10);
      host.notify();
      return;
    }
    if (line == "dns-stall on") set_resolver_stalled(true);
    if (line == "dns-stall off") set_resolver_stalled(false);
    if (line == "pause") commands.paused = true;
    if (line == "resume") commands.paused = false;
  }
  commands.stop_timeout_ms = 3000;
  host.notify();
}

class SessionRunner {
 public:
  SessionRunner(SoakHost& host, const Options& options, const Commands& commands)
      : host_(host), options_(options), commands_(commands) {}

  // Runs sessions until told to stop (or out of encounters: then waits to be stopped).
  void run() {
    last_rss_ = Clock::now();
    for (long long session = options_.first_session; !stopping(); ++session) {
      if (session > options_.last_session) {
        idle(std::chrono::hours(24));
        break;
      }
      run_session(session);
      host_.forget_session(session);
      idle(std::chrono::milliseconds(options_.pace_ms));
      while (commands_.paused.load() && !stopping()) idle(std::chrono::milliseconds(100));
    }
  }

 private:
  bool stopping() const { return commands_.stop_timeout_ms.load() >= 0; }

  void report_memory() {
    if (Clock::now() - last_rss_ < std::chrono::seconds(2)) return;
    last_rss_ = Clock::now();
    say("rss " + std::to_string(resident_kib()));
  }

  // Waits for `condition` (reading the host's panel table), printing memory meanwhile.
  bool wait_for(const std::function<bool()>& condition, Clock::duration limit) {
    const auto deadline = Clock::now() + limit;
    while (true) {
      const bool met = host_.wait_until([&] { return condition() || stopping(); },
                                        std::min(deadline, Clock::now() + std::chrono::seconds(1)));
      report_memory();
      if (stopping()) return false;
      if (met) return true;
      if (Clock::now() >= deadline) return false;
    }
  }

  void idle(Clock::duration length) {
    wait_for([] { return false; }, length);
  }

  void run_session(long long session) {
    const std::string session_id = "soak-" + std::to_string(session);
    const std::string patient = "Patient/soak-p" + std::to_string(session % options_.patients);
    const std::string encounter = "Encounter/soak-e" + std::to_string(session);
    thp_participant client{};
    client.struct_size = sizeof client;
    client.participant_id = view("client");
    client.role = THP_ROLE_CLIENT;
    client.age_years = 30;
    client.fhir_reference = view(patient);
    thp_participant clinician{};
    clinician.struct_size = sizeof clinician;
    clinician.participant_id = view("clinician");
    clinician.role = THP_ROLE_CLINICIAN;
    clinician.age_years = -1;
    const thp_participant* participants[] = {&client, &clinician};
    thp_session details{};
    details.struct_size = sizeof details;
    details.session_id = view(session_id);
    details.appointment_kind = THP_APPOINTMENT_INDIVIDUAL;
    details.medium = THP_MEDIUM_VIDEO;
    details.encounter_reference = view(encounter);
    details.participants = participants;
    details.participant_count = 2;

    const thp_plugin_api& plugin = host_.plugin();
    say("started " + std::to_string(session));
    if (plugin.session_started(plugin.plugin, &details) != THP_OK) say("stuck " + std::to_string(session) + " start");
    answer(session, "ORS", kOrsAnswers);
    if (stopping()) return;
    plugin.session_ended(plugin.plugin, view(session_id));
    answer(session, "SRS", kSrsAnswers);
  }

  // Waits for the measure's panel, submits, and sends again after each refusal.
  void answer(long long session, const std::string& measure, std::string_view message) {
    thp_panel_id panel = 0;
    if (!wait_for([&] { return (panel = host_.panel_of(session, measure)) != 0; }, kAnswerTimeout)) {
      if (!stopping()) say("stuck " + std::to_string(session) + " " + measure + "_panel");
      return;
    }
    const thp_plugin_api& plugin = host_.plugin();
    for (int attempt = 0; attempt <= kMaximumResubmissions; ++attempt) {
      plugin.panel_message(plugin.plugin, panel, view(message));
      bool saved = false;
      const bool answered = wait_for(
          [&] {
            const MeasurePanel* record = host_.record_of(panel);
            saved = record != nullptr && record->saved;
            return saved || host_.refusals_seen(panel) > attempt;
          },
          kAnswerTimeout);
      if (stopping() || saved) return;
      if (!answered) {
        say("stuck " + std::to_string(session) + " " + measure + "_answer");
        return;
      }
      idle(std::chrono::milliseconds(500));  // the client presses again a moment later
      if (stopping()) return;
    }
  }

  SoakHost& host_;
  const Options& options_;
  const Commands& commands_;
  Clock::time_point last_rss_;
};

}  // namespace
}  // namespace soak

int main(int argc, char** argv) {
  using namespace soak;
  const Options options = parse_options(argc, argv);
  static SoakHost host;  // static: the plugin may call in until shutdown returns
  host.load(options);
  say("ready pid=" + std::to_string(getpid()));
  static Commands commands;
  std::thread([] { read_commands(commands, host); }).detach();

  SessionRunner(host, options, commands).run();

  const auto timeout_ms = static_cast<std::uint32_t>(commands.stop_timeout_ms.load());
  const auto started = Clock::now();
  const thp_status status = host.shut_down(timeout_ms);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  say("shutdown status=" + std::to_string(status) + " elapsed_ms=" + std::to_string(elapsed) +
      " timeout_ms=" + std::to_string(timeout_ms));
  // Threads may still be blocked (a stalled lookup, the command reader): leave at once.
  std::fflush(stderr);
  _exit(0);
}
