// The plugin as a host sees it: how long each hook call takes, how much memory ten
// thousand live sessions cost, how fast a submission is durably saved, and how fast a
// backlog drains to the FHIR server. A benchmark: it prints figures (and one line of
// JSON for ./run bench's table) and judges nothing.
//
//   hook_latency hooks   --plugin SO --questionnaires DIR --folder DIR [--sessions 10000]
//                        [--window 16] [--patients N] [--fhir-port PORT --ca PEM]
//   hook_latency durable --plugin SO --questionnaires DIR --folder DIR [--submissions 2000]
//   hook_latency idle    --plugin SO --questionnaires DIR --folder DIR [--arrivals 2000] [--gap-ms 3]
//                        [--fhir-port PORT --ca PEM]
//   hook_latency drain   --plugin SO --questionnaires DIR --folder DIR --fhir-port PORT --ca PEM
//                        [--timeout-seconds 600]
//
// hooks:   starts the sessions (a client and a clinician each), submits every ORS panel
//          the plugin opens, ends the sessions; times every hook call. At most --window
//          calls are ahead of the plugin's worker at any time, so that each call is timed
//          while the worker runs but the queue behind it stays short. Memory is read
//          after the plugin's init (baseline) and with all sessions alive.
//          With --fhir-port and nothing listening there, every ORS stays pending in
//          FOLDER/state/alliance.db: the backlog that `drain` delivers.
// idle:    sessions that arrive while the plugin's worker sleeps: session_started and
//          participant_joined, each after --gap-ms of sleep, against a bare mutex and
//          condition-variable hand-off to a sleeping thread timed the same way in the
//          same loop; the floor (a copy of the session's strings, which every plugin
//          must own before the hook returns, then that hand-off); and, for reference, a
//          Boost.Asio post to a thread in run().
// durable: from panel_message to the plugin's panel_post of {"type":"saved"}, one
//          submission at a time, then the rate of a burst of submissions; delivery is
//          off so that the figure is the save path alone. Baseline in the same run: one
//          SQLite INSERT commit (WAL, synchronous=FULL) in the same folder.
// drain:   loads the plugin on FOLDER's store (its backlog) with the server up and polls
//          the store read-only until every administration is delivered (or failed).
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <mutex>

#include "bench_host.hpp"

namespace benchmarks {
namespace {

using nlohmann::ordered_json;

// The JSON a measure panel's page sends when the client submits an ORS.
constexpr std::string_view kSubmitMessage =
    R"({"type":"submit","measure":"ORS","answers":{"ors-individually":5.0,"ors-interpersonally":5.0,)"
    R"("ors-socially":5.0,"ors-overall":5.0}})";

// No single wait for the plugin may take longer than this; past it the run is broken.
constexpr std::chrono::seconds kStepTimeout{120};

struct Options {
  std::string mode;
  std::string plugin;
  std::string questionnaires;
  std::filesystem::path folder;
  std::string ca_file;
  int fhir_port = 0;
  std::size_t sessions = 10000;
  std::size_t submissions = 2000;
  std::size_t window = 16;
  std::size_t arrivals = 2000;
  int gap_ms = 3;
  std::size_t patients = 0;  // 0: one client for every 20 sessions
  int timeout_seconds = 600;
  std::uint32_t shutdown_timeout_ms = 10000;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "hook_latency: " << problem << "\n"
            << "usage: hook_latency hooks|durable|drain|idle --plugin SO --questionnaires DIR --folder DIR\n"
            << "         [--sessions N] [--submissions N] [--window N] [--patients N] [--arrivals N] [--gap-ms MS]\n"
            << "         [--fhir-port PORT --ca PEM] [--timeout-seconds S] [--shutdown-timeout-ms MS]\n";
  std::exit(2);
}

std::size_t positive_count(const std::string& name, const std::string& text) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value == 0 || value > 10'000'000) usage(name + " must be a whole number from 1");
  return static_cast<std::size_t>(value);
}

Options parse_options(int argc, char** argv) {
  if (argc < 2) usage("no mode given");
  Options options;
  options.mode = argv[1];
  if (options.mode != "hooks" && options.mode != "durable" && options.mode != "drain" && options.mode != "idle") {
    usage("unknown mode " + options.mode);
  }
  for (int index = 2; index < argc; index += 2) {
    const std::string name = argv[index];
    if (index + 1 >= argc) usage(name + " needs a value");
    const std::string value = argv[index + 1];
    if (name == "--plugin") options.plugin = value;
    else if (name == "--questionnaires") options.questionnaires = value;
    else if (name == "--folder") options.folder = value;
    else if (name == "--ca") options.ca_file = value;
    else if (name == "--fhir-port") options.fhir_port = static_cast<int>(positive_count(name, value));
    else if (name == "--sessions") options.sessions = positive_count(name, value);
    else if (name == "--submissions") options.submissions = positive_count(name, value);
    else if (name == "--window") options.window = positive_count(name, value);
    else if (name == "--arrivals") options.arrivals = positive_count(name, value);
    else if (name == "--gap-ms") options.gap_ms = static_cast<int>(positive_count(name, value));
    else if (name == "--patients") options.patients = positive_count(name, value);
    else if (name == "--timeout-seconds") options.timeout_seconds = static_cast<int>(positive_count(name, value));
    else if (name == "--shutdown-timeout-ms") {
      options.shutdown_timeout_ms = static_cast<std::uint32_t>(positive_count(name, value));
    } else {
      usage("unknown option " + name);
    }
  }
  if (options.plugin.empty() || options.questionnaires.empty() || options.folder.empty()) {
    usage("--plugin, --questionnaires and --folder are required");
  }
  if (options.fhir_port > 65535) usage("--fhir-port must be at most 65535");
  if ((options.fhir_port != 0) != !options.ca_file.empty()) usage("--fhir-port and --ca go together");
  if (options.mode == "drain" && options.fhir_port == 0) usage("drain needs --fhir-port and --ca");
  return options;
}

// The key that seals the store's payloads: 32 random bytes in base64 (what
// `openssl rand -base64 32` writes), in a file only its owner may read. Kept when it
// exists, so that `drain` opens the rows `hooks` sealed.
std::filesystem::path ensure_store_key(const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "store.key";
  if (std::filesystem::exists(path)) return path;
  std::array<unsigned char, 33> bytes{};  // the 33rd stays 0: base64 works in threes
  std::ifstream random("/dev/urandom", std::ios::binary);
  random.read(reinterpret_cast<char*>(bytes.data()), 32);
  if (!random) usage("cannot read /dev/urandom");
  static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  for (std::size_t index = 0; index < bytes.size(); index += 3) {
    const unsigned group = (unsigned{bytes[index]} << 16) | (unsigned{bytes[index + 1]} << 8) | bytes[index + 2];
    for (int shift = 18; shift >= 0; shift -= 6) text += digits[(group >> shift) & 0x3f];
  }
  text.back() = '=';  // 32 bytes: 43 characters and one '=' of padding
  text += "\n";
  const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (descriptor < 0 || ::write(descriptor, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    usage("cannot write " + path.string());
  }
  ::close(descriptor);
  return path;
}

// The plugin's configuration, written next to its store so that a later `drain` run
// (or a person) can read what this run used. Delivery retries every second at most:
// the drain measures delivery, not the back-off that a real outage would build up.
std::string write_configuration(const Options& options, bool with_delivery) {
  ordered_json configuration = {
      {"store",
       {{"path", (options.folder / "state" / "alliance.db").string()},
        {"key_file", ensure_store_key(options.folder).string()}}},
      {"measures", {{"questionnaire_folder", std::filesystem::absolute(options.questionnaires).string()}}},
  };
  if (with_delivery) {
    configuration["fhir"] = {
        {"base_url", "https://localhost:" + std::to_string(options.fhir_port) + "/fhir/R4"},
        {"ca_file", std::filesystem::absolute(options.ca_file).string()},
        {"retry_initial_seconds", 1},
        {"retry_maximum_seconds", 1},
    };
  }
  const std::string text = configuration.dump(2);
  std::ofstream(options.folder / "alliance.json") << text << "\n";
  return text;
}

// Builds the thp_session for session `index`; the views point into this object, so it
// must not change until the hook call that receives them has returned.
class SessionFactory {
 public:
  explicit SessionFactory(std::size_t patients) : patients_(patients) {
    client_.struct_size = sizeof(thp_participant);
    client_.participant_id = view(client_id_);
    client_.role = THP_ROLE_CLIENT;
    client_.age_years = 34;
    clinician_.struct_size = sizeof(thp_participant);
    clinician_.participant_id = view(clinician_id_);
    clinician_.role = THP_ROLE_CLINICIAN;
    clinician_.age_years = -1;
    participants_[0] = &client_;
    participants_[1] = &clinician_;
    session_.struct_size = sizeof(thp_session);
    session_.appointment_kind = THP_APPOINTMENT_INDIVIDUAL;
    session_.medium = THP_MEDIUM_VIDEO;
    session_.participants = participants_;
    session_.participant_count = 2;
  }

  const thp_session& make(std::size_t index) {
    session_id_ = session_id_for(index);
    // A client comes back for about twenty sessions: the plugin reads each client's
    // history on every submission, so one client for all would distort the figures.
    patient_ = "Patient/bench-p" + std::to_string(index % patients_);
    session_.session_id = view(session_id_);
    client_.fhir_reference = view(patient_);
    return session_;
  }

 private:
  static thp_str view(const std::string& text) { return {text.data(), text.size()}; }

  std::size_t patients_;
  const std::string client_id_ = "client";
  const std::string clinician_id_ = "clinician";
  std::string session_id_;
  std::string patient_;
  thp_participant client_{};
  thp_participant clinician_{};
  const thp_participant* participants_[2]{};
  thp_session session_{};
};

std::size_t patients_for(const Options& options, std::size_t sessions) {
  return options.patients != 0 ? options.patients : std::max<std::size_t>(1, (sessions + 19) / 20);
}

double microseconds(std::int64_t nanoseconds) { return static_cast<double>(nanoseconds) / 1000.0; }
double milliseconds(std::int64_t nanoseconds) { return static_cast<double>(nanoseconds) / 1e6; }
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
double mebibytes(std::uint64_t kib) { return static_cast<double>(kib) / 1024.0; }
double rounded(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

ordered_json distribution_json(const Distribution& distribution, double (*unit)(std::int64_t), int decimals) {
  return {{"count", distribution.count},
          {"p50", rounded(unit(distribution.p50), decimals)},
          {"p99", rounded(unit(distribution.p99), decimals)},
          {"max", rounded(unit(distribution.maximum), decimals)}};
}

std::string describe(const Distribution& distribution, double (*unit)(std::int64_t), const char* unit_name,
                     int decimals) {
  return "p50 " + fixed(unit(distribution.p50), decimals) + " " + unit_name + ", p99 " +
         fixed(unit(distribution.p99), decimals) + " " + unit_name + ", max " +
         fixed(unit(distribution.maximum), decimals) + " " + unit_name + " (" + std::to_string(distribution.count) +
         " calls)";
}

// Stops the run with the reason and what the plugin said, after shutting it down.
[[noreturn]] void fail(BenchHost& host, const std::string& reason) {
  std::cerr << "hook_latency: " << reason << " (panels opened " << host.panels_opened() << ", saved "
            << host.saved_messages() << ", plugin warnings " << host.warnings_logged() << ", errors "
            << host.errors_logged() << ")\n";
  if (const std::string error = host.first_error(); !error.empty()) std::cerr << "  first plugin error: " << error << "\n";
  host.shut_down(5000);
  std::exit(1);
}

void wait_for(BenchHost& host, const std::function<bool()>& condition, const std::string& what) {
  if (!host.wait_until(condition, Clock::now() + kStepTimeout)) {
    fail(host, "the plugin did not " + what + " within " + std::to_string(kStepTimeout.count()) + " s");
  }
}

// Calls `call(index)` for every index in [0, count) and returns how long each call
// took (ns). `done()` counts the effects the host has seen of these calls, `per_call`
// of them for each call; a call is made only while fewer than `window` earlier calls
// lack their effects, so that the plugin's queue stays short.
template <typename Call>
std::vector<std::int64_t> paced_calls(BenchHost& host, std::size_t count, std::size_t window,
                                      const std::function<std::uint64_t()>& done, std::uint64_t per_call,
                                      const char* what, Call&& call) {
  std::vector<std::int64_t> durations;
  durations.reserve(count);
  for (std::size_t index = 0; index < count; ++index) {
    if (index >= window) {
      const std::uint64_t needed = (index - window + 1) * per_call;
      if (done() < needed) wait_for(host, [&] { return done() >= needed; }, std::string("keep up with ") + what);
    }
    durations.push_back(call(index));
  }
  wait_for(host, [&] { return done() >= count * per_call; }, std::string("finish ") + what);
  return durations;
}

// One hook call, timed: the arguments are built before the clock starts.
template <typename Hook>
std::int64_t timed(BenchHost& host, const char* hook_name, Hook&& hook) {
  const auto started = Clock::now();
  const thp_status status = hook();
  const auto finished = Clock::now();
  if (status != THP_OK) fail(host, std::string(hook_name) + " returned status " + std::to_string(status));
  return std::chrono::duration_cast<std::chrono::nanoseconds>(finished - started).count();
}

thp_str submit_message() { return {kSubmitMessage.data(), kSubmitMessage.size()}; }

void load_or_exit(BenchHost& host, const Options& options, const std::string& configuration) {
  std::string error;
  if (!host.load(options.plugin, configuration, (options.folder / "alliance.json").string(), error)) {
    std::cerr << "hook_latency: " << error << "\n";
    std::exit(1);
  }
}

void print_figures(const ordered_json& figures) { std::cout << "figures " << figures.dump() << std::endl; }

// --- hooks ---------------------------------------------------------------------------

int run_hooks(const Options& options) {
  const std::size_t sessions = options.sessions;
  std::filesystem::create_directories(options.folder);
  const std::string configuration = write_configuration(options, options.fhir_port != 0);
  BenchHost host(sessions);
  SessionFactory factory(patients_for(options, sessions));
  const auto run_started = Clock::now();
  load_or_exit(host, options, configuration);
  const ResidentMemory baseline = read_resident_memory();
  const thp_plugin_api& plugin = host.plugin();

  const auto opened = [&host] { return host.panels_opened(); };
  const auto saved = [&host] { return host.saved_messages(); };

  // Every session opens two panels: the client's ORS and the clinician's view.
  auto started_at = Clock::now();
  const auto starts = paced_calls(host, sessions, options.window, opened, 2, "open the sessions' panels",
                                  [&](std::size_t index) {
                                    const thp_session& session = factory.make(index);
                                    return timed(host, "session_started",
                                                 [&] { return plugin.session_started(plugin.plugin, &session); });
                                  });
  const double start_seconds = seconds_since(started_at);

  std::vector<thp_panel_id> outcome_panels(sessions);
  for (std::size_t index = 0; index < sessions; ++index) {
    outcome_panels[index] = host.outcome_panel_of(index);
    if (outcome_panels[index] == 0) fail(host, "session " + std::to_string(index) + " has no ORS panel");
  }
  started_at = Clock::now();
  const auto submits = paced_calls(host, sessions, options.window, saved, 1, "save the submissions",
                                   [&](std::size_t index) {
                                     const thp_panel_id panel = outcome_panels[index];
                                     return timed(host, "panel_message", [&] {
                                       return plugin.panel_message(plugin.plugin, panel, submit_message());
                                     });
                                   });
  const double submit_seconds = seconds_since(started_at);
  const ResidentMemory alive = read_resident_memory();

  // Ending a session asks its client for the SRS: one more panel each.
  const std::uint64_t opened_before_ends = host.panels_opened();
  const auto opened_since = [&host, opened_before_ends] { return host.panels_opened() - opened_before_ends; };
  std::vector<std::string> session_ids(sessions);
  for (std::size_t index = 0; index < sessions; ++index) session_ids[index] = session_id_for(index);
  started_at = Clock::now();
  const auto ends = paced_calls(host, sessions, options.window, opened_since, 1, "open the SRS panels",
                                [&](std::size_t index) {
                                  const thp_str id{session_ids[index].data(), session_ids[index].size()};
                                  return timed(host, "session_ended",
                                               [&] { return plugin.session_ended(plugin.plugin, id); });
                                });
  const double end_seconds = seconds_since(started_at);

  started_at = Clock::now();
  const thp_status stopped = host.shut_down(options.shutdown_timeout_ms);
  const double shutdown_seconds = seconds_since(started_at);
  const double total_seconds = seconds_since(run_started);

  const Distribution started_figures = summarize(starts);
  const Distribution submit_figures = summarize(submits);
  const Distribution ended_figures = summarize(ends);
  std::cout << "host hook latency, " << sessions << " concurrent sessions (client + clinician), at most "
            << options.window << " calls ahead of the plugin's worker"
            << (options.fhir_port != 0 ? ", FHIR server down" : "") << "\n"
            << "  session_started  " << describe(started_figures, microseconds, "us", 1) << "\n"
            << "  panel_message    " << describe(submit_figures, microseconds, "us", 1) << " (ORS submit)\n"
            << "  session_ended    " << describe(ended_figures, microseconds, "us", 1) << "\n"
            << "  wall time: starts " << fixed(start_seconds, 2) << " s, submits " << fixed(submit_seconds, 2)
            << " s, ends " << fixed(end_seconds, 2) << " s, shutdown " << fixed(shutdown_seconds, 2) << " s ("
            << (stopped == THP_OK ? "drained" : "timed out") << "), whole run " << fixed(total_seconds, 2) << " s\n";
  const double per_session_kib =
      static_cast<double>(alive.resident_kib > baseline.resident_kib ? alive.resident_kib - baseline.resident_kib : 0) /
      static_cast<double>(sessions);
  std::cout << "resident memory: " << fixed(mebibytes(alive.resident_kib), 1) << " MiB with " << sessions
            << " sessions alive (peak " << fixed(mebibytes(alive.peak_kib), 1) << " MiB); baseline after init "
            << fixed(mebibytes(baseline.resident_kib), 1) << " MiB; ratio "
            << fixed(static_cast<double>(alive.resident_kib) / static_cast<double>(std::max<std::uint64_t>(1, baseline.resident_kib)), 2)
            << "; " << fixed(per_session_kib, 2) << " KiB per session\n"
            << "plugin log: " << host.warnings_logged() << " warnings, " << host.errors_logged() << " errors\n";
  print_figures({{"mode", "hooks"},
                 {"sessions", sessions},
                 {"window", options.window},
                 {"session_started_us", distribution_json(started_figures, microseconds, 2)},
                 {"panel_message_us", distribution_json(submit_figures, microseconds, 2)},
                 {"session_ended_us", distribution_json(ended_figures, microseconds, 2)},
                 {"wall_seconds",
                  {{"starts", rounded(start_seconds, 3)},
                   {"submits", rounded(submit_seconds, 3)},
                   {"ends", rounded(end_seconds, 3)},
                   {"shutdown", rounded(shutdown_seconds, 3)},
                   {"total", rounded(total_seconds, 3)}}},
                 {"shutdown_drained", stopped == THP_OK},
                 {"rss_baseline_mib", rounded(mebibytes(baseline.resident_kib), 2)},
                 {"rss_sessions_mib", rounded(mebibytes(alive.resident_kib), 2)},
                 {"rss_peak_mib", rounded(mebibytes(alive.peak_kib), 2)},
                 {"administrations", sessions},
                 {"patients", patients_for(options, sessions)}});
  return 0;
}

// --- idle -----------------------------------------------------------------------------

// A thread that sleeps on a condition variable until the host hands it one item: the
// least a hook can cost when it must wake a sleeping worker (a mutex, a flag, a
// notify). The baseline for `idle`, timed the same way as the hooks.
class BareHandOff {
 public:
  BareHandOff() : thread_([this] { serve(); }) {}
  ~BareHandOff() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  BareHandOff(const BareHandOff&) = delete;
  BareHandOff& operator=(const BareHandOff&) = delete;

  // Host thread: the timed part, the hand-off itself (carrying `item`, if any).
  void hand_off(std::vector<std::string> item = {}) {
    {
      std::lock_guard lock(mutex_);
      item_ = std::move(item);
      pending_ = true;
    }
    wake_.notify_one();
  }
  // Host thread, untimed: until the sleeper took the item (it then sleeps again).
  void wait_taken() {
    while (taken_.load(std::memory_order_acquire) != handed_) std::this_thread::yield();
  }
  void count_hand_off() { ++handed_; }

 private:
  void serve() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return pending_ || stopping_; });
      if (stopping_) return;
      pending_ = false;
      const std::vector<std::string> item = std::move(item_);
      taken_.fetch_add(1, std::memory_order_release);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  std::vector<std::string> item_;
  std::atomic<std::uint64_t> taken_{0};
  std::uint64_t handed_ = 0;
  std::thread thread_;
};

// The same hand-off through Boost.Asio: io_context::post to a thread blocked in run(),
// which is what the plugin's worker does (with a reactor, as when delivery is on: a
// steady timer is armed, so the thread sleeps in epoll rather than on a condition).
class AsioHandOff {
 public:
  AsioHandOff()
      : work_(io_context_.get_executor()),
        timer_(io_context_, std::chrono::hours(24)),
        thread_([this] { io_context_.run(); }) {
    timer_.async_wait([](const boost::system::error_code&) {});
  }
  ~AsioHandOff() {
    io_context_.stop();
    thread_.join();
  }
  AsioHandOff(const AsioHandOff&) = delete;
  AsioHandOff& operator=(const AsioHandOff&) = delete;

  void hand_off() {
    boost::asio::post(io_context_, std::function<void()>([this] { taken_.fetch_add(1, std::memory_order_release); }));
  }
  void wait_taken() {
    while (taken_.load(std::memory_order_acquire) != handed_) std::this_thread::yield();
  }
  void count_hand_off() { ++handed_; }

 private:
  boost::asio::io_context io_context_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer timer_;
  std::atomic<std::uint64_t> taken_{0};
  std::uint64_t handed_ = 0;
  std::thread thread_;
};

// What any plugin must do with a session before its hook returns, since the host's
// strings live only for the call: own a copy of each of them. With the hand-off above,
// the least a session_started can cost (the plugin also checks what it copies).
std::vector<std::string> copy_strings(const thp_session& session) {
  std::vector<std::string> strings;
  const auto copy = [&strings](thp_str text) { strings.emplace_back(text.ptr, text.len); };
  copy(session.session_id);
  copy(session.start_time);
  copy(session.encounter_reference);
  for (std::size_t index = 0; index < session.participant_count; ++index) {
    const thp_participant& participant = *session.participants[index];
    for (const thp_str text : {participant.participant_id, participant.display_name, participant.birth_date,
                               participant.preferred_language, participant.fhir_reference,
                               participant.rates_participant_id}) {
      copy(text);
    }
  }
  return strings;
}

// Sessions that arrive while the plugin's worker sleeps: before every timed call the
// host waits until the worker has finished the previous one, then sleeps --gap-ms so
// that the worker is blocked again. Each session starts with its clinician alone
// (session_started), then the client joins (participant_joined). In the same loop, one
// bare condition-variable hand-off and one Asio post to a sleeping thread, each after
// the same sleep, so that load on the machine moves all of them alike.
int run_idle(const Options& options) {
  const std::size_t arrivals = options.arrivals;
  std::filesystem::create_directories(options.folder);
  const std::string configuration = write_configuration(options, options.fhir_port != 0);
  BenchHost host(arrivals);
  load_or_exit(host, options, configuration);
  const thp_plugin_api& plugin = host.plugin();
  const auto gap = std::chrono::milliseconds(options.gap_ms);

  SessionFactory factory(patients_for(options, arrivals));
  thp_participant clinician_only{};
  clinician_only.struct_size = sizeof(thp_participant);
  static const std::string clinician_id = "clinician";
  clinician_only.participant_id = {clinician_id.data(), clinician_id.size()};
  clinician_only.role = THP_ROLE_CLINICIAN;
  clinician_only.age_years = -1;
  const thp_participant* clinician_list[1] = {&clinician_only};

  BareHandOff bare;
  BareHandOff carrying;
  AsioHandOff asio;
  std::vector<std::int64_t> starts, joins, bare_hand_offs, carrying_hand_offs, asio_hand_offs;
  for (auto* figures : {&starts, &joins, &bare_hand_offs, &carrying_hand_offs, &asio_hand_offs}) {
    figures->reserve(arrivals);
  }
  const auto run_started = Clock::now();
  for (std::size_t index = 0; index < arrivals; ++index) {
    // The client's participant record, as factory.make builds it, joins later.
    thp_session session = factory.make(index);
    const thp_participant client = *session.participants[0];
    session.participants = clinician_list;
    session.participant_count = 1;
    const std::string session_id(session.session_id.ptr, session.session_id.len);
    const thp_str id{session_id.data(), session_id.size()};

    std::this_thread::sleep_for(gap);
    starts.push_back(timed(host, "session_started", [&] { return plugin.session_started(plugin.plugin, &session); }));
    wait_for(host, [&] { return host.panels_opened() >= 2 * index + 1; }, "open the clinician's panel");

    std::this_thread::sleep_for(gap);
    joins.push_back(timed(host, "participant_joined", [&] { return plugin.participant_joined(plugin.plugin, id, &client); }));
    wait_for(host, [&] { return host.panels_opened() >= 2 * index + 2; }, "open the client's panel");

    std::this_thread::sleep_for(gap);
    bare.count_hand_off();
    auto started = Clock::now();
    bare.hand_off();
    bare_hand_offs.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count());
    bare.wait_taken();

    std::this_thread::sleep_for(gap);
    carrying.count_hand_off();
    started = Clock::now();
    carrying.hand_off(copy_strings(session));
    carrying_hand_offs.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count());
    carrying.wait_taken();

    std::this_thread::sleep_for(gap);
    asio.count_hand_off();
    started = Clock::now();
    asio.hand_off();
    asio_hand_offs.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count());
    asio.wait_taken();
  }
  const double run_seconds = seconds_since(run_started);
  const thp_status stopped = host.shut_down(options.shutdown_timeout_ms);

  const Distribution start_figures = summarize(starts);
  const Distribution join_figures = summarize(joins);
  const Distribution bare_figures = summarize(bare_hand_offs);
  const Distribution carrying_figures = summarize(carrying_hand_offs);
  const Distribution asio_figures = summarize(asio_hand_offs);
  const auto ratio = [](std::int64_t value, std::int64_t baseline) {
    return fixed(static_cast<double>(value) / static_cast<double>(std::max<std::int64_t>(1, baseline)), 2);
  };
  const auto ratios = [&](const Distribution& figures, const Distribution& baseline) {
    return "p50 " + ratio(figures.p50, baseline.p50) + ", p99 " + ratio(figures.p99, baseline.p99) + ", p99.9 " +
           ratio(figures.p999, baseline.p999);
  };
  const auto line = [](const Distribution& figures) {
    return "p50 " + fixed(microseconds(figures.p50), 1) + " us, p99 " + fixed(microseconds(figures.p99), 1) +
           " us, p99.9 " + fixed(microseconds(figures.p999), 1) + " us, max " +
           fixed(microseconds(figures.maximum), 1) + " us (" + std::to_string(figures.count) + ")";
  };
  std::cout << "idle arrival: " << arrivals << " sessions, each hook after " << options.gap_ms
            << " ms of sleep (the plugin's worker idle)" << (options.fhir_port != 0 ? ", delivery on, server down" : "")
            << "\n"
            << "  session_started     " << line(start_figures) << "\n"
            << "  participant_joined  " << line(join_figures) << "\n"
            << "  baseline: mutex + condition_variable hand-off to a sleeping thread: " << line(bare_figures) << "\n"
            << "  floor: copy the session's strings, then that hand-off: " << line(carrying_figures) << "\n"
            << "  for reference: Boost.Asio post to a thread sleeping in io_context::run: " << line(asio_figures)
            << "\n"
            << "  ratio session_started/baseline: " << ratios(start_figures, bare_figures) << "\n"
            << "  ratio participant_joined/baseline: " << ratios(join_figures, bare_figures) << "\n"
            << "  ratio session_started/floor: " << ratios(start_figures, carrying_figures) << "\n"
            << "  wall time " << fixed(run_seconds, 1) << " s; shutdown " << (stopped == THP_OK ? "drained" : "timed out")
            << "; plugin log: " << host.warnings_logged() << " warnings, " << host.errors_logged() << " errors\n";
  const auto figures_of = [](const Distribution& figures) {
    ordered_json object = distribution_json(figures, microseconds, 2);
    object["p999"] = rounded(microseconds(figures.p999), 2);
    return object;
  };
  print_figures({{"mode", "idle"},
                 {"arrivals", arrivals},
                 {"gap_ms", options.gap_ms},
                 {"session_started_us", figures_of(start_figures)},
                 {"participant_joined_us", figures_of(join_figures)},
                 {"bare_hand_off_us", figures_of(bare_figures)},
                 {"copy_and_hand_off_us", figures_of(carrying_figures)},
                 {"asio_hand_off_us", figures_of(asio_figures)}});
  return 0;
}

// --- durable ---------------------------------------------------------------------------

// The raw cost the plugin cannot avoid: one INSERT committed with WAL and
// synchronous=FULL, on the same disk, as its own transaction. Returns each commit's ns.
std::vector<std::int64_t> raw_commits(const std::filesystem::path& path, std::size_t count) {
  std::filesystem::remove(path);
  sqlite3* database = nullptr;
  if (sqlite3_open(path.c_str(), &database) != SQLITE_OK) {
    std::cerr << "hook_latency: cannot open " << path << "\n";
    std::exit(1);
  }
  const auto execute = [database](const char* sql) {
    if (sqlite3_exec(database, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      std::cerr << "hook_latency: " << sqlite3_errmsg(database) << "\n";
      std::exit(1);
    }
  };
  execute("PRAGMA journal_mode = WAL");
  execute("PRAGMA synchronous = FULL");
  execute("CREATE TABLE commits (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(database, "INSERT INTO commits (payload) VALUES (?1)", -1, &insert, nullptr);
  // About the size of one administration row.
  const std::string payload(400, 'x');
  std::vector<std::int64_t> durations;
  durations.reserve(count);
  for (std::size_t index = 0; index < count; ++index) {
    const auto started = Clock::now();
    sqlite3_bind_text(insert, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    if (sqlite3_step(insert) != SQLITE_DONE) {
      std::cerr << "hook_latency: raw insert failed: " << sqlite3_errmsg(database) << "\n";
      std::exit(1);
    }
    sqlite3_reset(insert);
    durations.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count());
  }
  sqlite3_finalize(insert);
  sqlite3_close(database);
  return durations;
}

int run_durable(const Options& options) {
  const std::size_t count = options.submissions;
  const std::size_t sessions = 2 * count;  // one half one at a time, the other as a burst
  std::filesystem::create_directories(options.folder);
  const std::string configuration = write_configuration(options, false);
  BenchHost host(sessions);
  SessionFactory factory(patients_for(options, sessions));
  load_or_exit(host, options, configuration);
  const thp_plugin_api& plugin = host.plugin();
  const auto opened = [&host] { return host.panels_opened(); };
  paced_calls(host, sessions, options.window, opened, 2, "open the sessions' panels", [&](std::size_t index) {
    const thp_session& session = factory.make(index);
    return timed(host, "session_started", [&] { return plugin.session_started(plugin.plugin, &session); });
  });

  const auto raw_started = Clock::now();
  const Distribution raw = summarize(raw_commits(options.folder / "raw-commit.db", count));
  const double raw_rate = static_cast<double>(count) / seconds_since(raw_started);

  // One at a time: the hook call, then wait for "saved" before the next.
  std::vector<std::int64_t> latencies;
  latencies.reserve(count);
  for (std::size_t index = 0; index < count; ++index) {
    const thp_panel_id panel = host.outcome_panel_of(index);
    const std::int64_t called_at = now_nanoseconds();
    timed(host, "panel_message", [&] { return plugin.panel_message(plugin.plugin, panel, submit_message()); });
    wait_for(host, [&] { return host.saved_messages() >= index + 1; }, "save a submission");
    latencies.push_back(host.saved_at(panel) - called_at);
  }
  const Distribution latency = summarize(latencies);

  // A burst: every submission at once; the rate at which "saved" comes back.
  const auto burst_started = Clock::now();
  for (std::size_t index = count; index < sessions; ++index) {
    const thp_panel_id panel = host.outcome_panel_of(index);
    timed(host, "panel_message", [&] { return plugin.panel_message(plugin.plugin, panel, submit_message()); });
  }
  wait_for(host, [&] { return host.saved_messages() >= sessions; }, "save the burst of submissions");
  const double burst_rate = static_cast<double>(count) / seconds_since(burst_started);
  host.shut_down(options.shutdown_timeout_ms);

  std::cout << "durable submission (panel_message to the plugin's {\"type\":\"saved\"}), " << count
            << " one at a time, delivery off\n"
            << "  plugin:   " << describe(latency, milliseconds, "ms", 2) << "\n"
            << "  baseline: one raw SQLite INSERT commit (WAL, synchronous=FULL, same disk): "
            << describe(raw, milliseconds, "ms", 2) << "\n"
            << "  ratio plugin/baseline: p50 "
            << fixed(static_cast<double>(latency.p50) / static_cast<double>(std::max<std::int64_t>(1, raw.p50)), 2)
            << ", p99 "
            << fixed(static_cast<double>(latency.p99) / static_cast<double>(std::max<std::int64_t>(1, raw.p99)), 2)
            << "\n"
            << "sustained submissions, a burst of " << count << ": " << fixed(burst_rate, 0)
            << " saved per second; baseline " << fixed(raw_rate, 0) << " raw commits per second; ratio "
            << fixed(burst_rate / raw_rate, 2) << "\n";
  print_figures({{"mode", "durable"},
                 {"submissions", count},
                 {"latency_ms", distribution_json(latency, milliseconds, 3)},
                 {"raw_commit_ms", distribution_json(raw, milliseconds, 3)},
                 {"submissions_per_second", rounded(burst_rate, 1)},
                 {"raw_commits_per_second", rounded(raw_rate, 1)}});
  return 0;
}

// --- drain -----------------------------------------------------------------------------

// Counts administrations by delivery state, reading the store without writing to it.
class StoreReader {
 public:
  explicit StoreReader(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &database_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      std::cerr << "hook_latency: cannot open " << path << " read-only\n";
      std::exit(1);
    }
    sqlite3_busy_timeout(database_, 2000);
  }
  ~StoreReader() { sqlite3_close(database_); }
  StoreReader(const StoreReader&) = delete;
  StoreReader& operator=(const StoreReader&) = delete;

  std::map<std::string, std::size_t> count_by_state() {
    std::map<std::string, std::size_t> counts;
    if (table_.empty()) table_ = delivery_table();
    if (table_.empty()) return counts;
    const std::string sql = "SELECT delivery_state, COUNT(*) FROM \"" + table_ + "\" GROUP BY delivery_state";
    sqlite3_stmt* select = nullptr;
    if (sqlite3_prepare_v2(database_, sql.c_str(), -1, &select, nullptr) != SQLITE_OK) return counts;
    while (sqlite3_step(select) == SQLITE_ROW) {
      const auto* state = reinterpret_cast<const char*>(sqlite3_column_text(select, 0));
      counts[state != nullptr ? state : ""] = static_cast<std::size_t>(sqlite3_column_int64(select, 1));
    }
    sqlite3_finalize(select);
    return counts;
  }

 private:
  // The table with one row per administration and its delivery_state: found by its
  // columns rather than named, so that the benchmark follows the store's schema.
  std::string delivery_table() {
    std::string found;
    sqlite3_stmt* select = nullptr;
    const char* sql =
        "SELECT m.name FROM sqlite_master AS m, pragma_table_info(m.name) AS c "
        "WHERE m.type = 'table' AND c.name = 'delivery_state' ORDER BY m.name LIMIT 1";
    if (sqlite3_prepare_v2(database_, sql, -1, &select, nullptr) != SQLITE_OK) return found;
    if (sqlite3_step(select) == SQLITE_ROW) {
      const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(select, 0));
      if (name != nullptr) found = name;
    }
    sqlite3_finalize(select);
    return found;
  }

  sqlite3* database_ = nullptr;
  std::string table_;
};

int run_drain(const Options& options) {
  const std::filesystem::path store = options.folder / "state" / "alliance.db";
  if (!std::filesystem::exists(store)) usage(store.string() + " does not exist: run `hooks` with --fhir-port first");
  std::map<std::string, std::size_t> counts;
  std::size_t total = 0;
  {
    StoreReader reader(store);
    for (const auto& [state, count] : reader.count_by_state()) total += count;
  }
  const std::string configuration = write_configuration(options, true);
  BenchHost host(1);
  const auto started = Clock::now();
  load_or_exit(host, options, configuration);
  StoreReader reader(store);
  const auto deadline = started + std::chrono::seconds(options.timeout_seconds);
  std::size_t delivered = 0;
  std::size_t failed = 0;
  double seconds = 0;
  while (true) {
    counts = reader.count_by_state();
    delivered = counts["delivered"];
    failed = counts["failed"];
    seconds = seconds_since(started);
    if (delivered + failed >= total || Clock::now() >= deadline) break;
    host.wait_until([] { return false; }, Clock::now() + std::chrono::milliseconds(20));
  }
  host.shut_down(options.shutdown_timeout_ms);
  const double rate = static_cast<double>(delivered) / seconds;
  std::cout << "drain: " << delivered << " of " << total << " pending administrations delivered in " << fixed(seconds, 2)
            << " s (" << fixed(rate, 1) << " per second)" << (failed > 0 ? ", " + std::to_string(failed) + " failed" : "")
            << (delivered + failed < total ? ", TIMED OUT" : "") << "\n";
  if (failed > 0 || host.errors_logged() > 0) {
    std::cout << "  first plugin error: " << host.first_error() << "\n";
  }
  print_figures({{"mode", "drain"},
                 {"administrations", total},
                 {"delivered", delivered},
                 {"failed", failed},
                 {"seconds", rounded(seconds, 3)},
                 {"per_second", rounded(rate, 2)}});
  // A partial drain is a figure too (the line above says so); only a run that could
  // not happen at all exits non-zero.
  return 0;
}

}  // namespace
}  // namespace benchmarks

int main(int argc, char** argv) {
  const benchmarks::Options options = benchmarks::parse_options(argc, argv);
  if (options.mode == "hooks") return benchmarks::run_hooks(options);
  if (options.mode == "durable") return benchmarks::run_durable(options);
  if (options.mode == "idle") return benchmarks::run_idle(options);
  return benchmarks::run_drain(options);
}
