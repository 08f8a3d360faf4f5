// The ABI's host side inside the adapter (sdk-stubs/janus-host/alliance_host.hpp),
// without Janus: the echo fixture plugin is loaded with dlopen as in Janus, and Janus is
// a recorder of what would have been pushed to each page. What is checked: panels go to
// the seated participant's page only, a page's messages reach the plugin only for its
// own panels, run_on_host_thread runs and cancels as the ABI says, and a panel call from
// a plugin thread is refused (this host does not set the any-thread flag).
#include <doctest/doctest.h>

#include "alliance_host.hpp"
#include "participant_token.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

using janus_host::AdapterSettings;
using janus_host::AllianceHost;
using janus_host::HandleKey;
using janus_host::PageField;
using janus_host::PageRequest;
using janus_host::RoomEvent;

namespace {

const std::string kHostSecret = "the-test-backend's-secret-of-thirty-two-bytes";

struct PageEvent {
  HandleKey handle = 0;
  std::string transaction;
  std::map<std::string, std::string> texts;
  std::map<std::string, std::uint64_t> numbers;
  std::string kind() const { return texts.count("alliance") ? texts.at("alliance") : ""; }
};

class RecordingJanus final : public janus_host::JanusSide {
 public:
  bool send_to_page(HandleKey handle, const std::string& transaction,
                    const std::vector<PageField>& fields) override {
    PageEvent event{handle, transaction, {}, {}};
    for (const PageField& field : fields) {
      if (const auto* text = std::get_if<std::string>(&field.value)) {
        event.texts[field.key] = *text;
      } else {
        event.numbers[field.key] = std::get<std::uint64_t>(field.value);
      }
    }
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    changed_.notify_all();
    return handle != kGoneHandle;
  }
  void announce_binding(HandleKey handle, const std::string& nonce) override {
    std::lock_guard lock(mutex_);
    nonces_[handle] = nonce;
    changed_.notify_all();
  }
  void log(thp_log_level, std::string_view message) override {
    std::lock_guard lock(mutex_);
    log_.emplace_back(message);
  }
  std::size_t log_lines_containing(std::string_view text) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(log_.begin(), log_.end(), [&](const std::string& line) {
      return line.find(text) != std::string::npos;
    }));
  }
  std::size_t events_with_transaction_prefix(std::string_view prefix) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(events_.begin(), events_.end(), [&](const PageEvent& event) {
      return event.transaction.rfind(prefix, 0) == 0;
    }));
  }

  PageEvent wait_for(const std::function<bool(const PageEvent&)>& wanted) {
    std::unique_lock lock(mutex_);
    std::size_t seen = 0;
    PageEvent found;
    bool ok = changed_.wait_for(lock, std::chrono::seconds(5), [&] {
      for (; seen < events_.size(); ++seen) {
        if (wanted(events_[seen])) {
          found = events_[seen];
          return true;
        }
      }
      return false;
    });
    if (!ok) {
      std::string seen_events;
      for (const PageEvent& event : events_) {
        seen_events += " " + std::to_string(event.handle) + ":" + event.kind();
        if (event.texts.count("text")) seen_events += "(" + event.texts.at("text") + ")";
        if (event.texts.count("error")) seen_events += "(" + event.texts.at("error") + ")";
      }
      FAIL("no such page event within 5 s; the pages had:" << seen_events);
    }
    return found;
  }
  std::string nonce_of(HandleKey handle) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return nonces_.count(handle) > 0; });
    return nonces_[handle];
  }
  std::vector<PageEvent> events_for(HandleKey handle) {
    std::lock_guard lock(mutex_);
    std::vector<PageEvent> found;
    for (const PageEvent& event : events_) {
      if (event.handle == handle) found.push_back(event);
    }
    return found;
  }

  static constexpr HandleKey kGoneHandle = 999;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<PageEvent> events_;
  std::map<HandleKey, std::string> nonces_;
  std::vector<std::string> log_;
};

std::string token_for(const std::string& participant, const std::string& role, const std::string& feed) {
  std::string payload = R"({"version":1,"room":"77","feed":")" + feed + R"(","session":"s-1","participant":")" +
                        participant + R"(","role":")" + role + R"(","expires":)" +
                        std::to_string(std::time(nullptr) + 60) + "}";
  return janus_host::sign_participant_token(payload, kHostSecret);
}

PageRequest register_request(std::string token) {
  PageRequest request;
  request.kind = PageRequest::Kind::register_token;
  request.token = std::move(token);
  return request;
}

// Registers `handle` with its token, answers the binding nonce from `janus_session`, and
// joins its feed in the room, as the page, Janus and the VideoRoom would.
void seat(AllianceHost& host, RecordingJanus& janus, HandleKey handle, const std::string& participant,
          const std::string& role, const std::string& feed, janus_host::JanusSession janus_session) {
  host.page_request(handle, "t-" + participant, register_request(token_for(participant, role, feed)));
  RoomEvent binding;
  binding.kind = RoomEvent::Kind::binding;
  binding.nonce = janus.nonce_of(handle);
  binding.janus_session = janus_session;
  host.room_event(binding);
  RoomEvent joined;
  joined.kind = RoomEvent::Kind::joined;
  joined.room = "77";
  joined.feed = feed;
  joined.janus_session = janus_session;
  host.room_event(joined);
}

AdapterSettings settings_for_echo() {
  std::filesystem::path folder = std::filesystem::temp_directory_path() / "alliance-janus-host-test";
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "echo.json") << "{}";
  AdapterSettings settings;
  settings.plugin_path = FIXTURE_PLUGIN_ECHO;
  settings.configuration_path = (folder / "echo.json").string();
  settings.token_secret = kHostSecret;
  settings.post_session_window = std::chrono::seconds(300);
  return settings;
}

}  // namespace

TEST_CASE("the adapter's host side: panels to the seated page, messages from its own panels only") {
  RecordingJanus janus;
  AllianceHost host(settings_for_echo(), janus);
  REQUIRE(host.start().empty());

  seat(host, janus, 1, "pr-kim", "clinician", "11", 100);
  PageEvent registered = janus.wait_for([](const PageEvent& event) { return event.kind() == "registered"; });
  CHECK(registered.transaction == "t-pr-kim");
  seat(host, janus, 2, "pat-alex", "client", "22", 200);

  // The echo plugin opens a panel for each participant when the session starts.
  PageEvent client_panel = janus.wait_for(
      [](const PageEvent& event) { return event.handle == 2 && event.kind() == "panel_open"; });
  CHECK(client_panel.texts["title"] == "Echo");
  const thp_panel_id client_panel_id = client_panel.numbers["panel"];
  PageEvent clinician_panel = janus.wait_for(
      [](const PageEvent& event) { return event.handle == 1 && event.kind() == "panel_open"; });
  CHECK(clinician_panel.numbers["panel"] != client_panel_id);

  // The client's message for the client's panel is answered on the client's page.
  PageRequest message;
  message.kind = PageRequest::Kind::panel_message;
  message.panel = client_panel_id;
  message.text = R"({"type":"hello"})";
  host.page_request(2, "", message);
  PageEvent echoed = janus.wait_for([](const PageEvent& event) { return event.kind() == "panel_post"; });
  CHECK(echoed.handle == 2);
  CHECK(echoed.numbers["panel"] == client_panel_id);

  // The clinician's page sending to the client's panel is refused, and nothing is posted.
  host.page_request(1, "x", message);
  PageEvent refused = janus.wait_for(
      [](const PageEvent& event) { return event.handle == 1 && event.kind() == "error"; });
  CHECK(refused.texts["error"] == "unknown_panel");

  // run_on_host_thread: the plugin's deferred answer arrives.
  message.text = R"({"type":"defer"})";
  host.page_request(2, "", message);
  janus.wait_for([](const PageEvent& event) {
    return event.kind() == "panel_post" && event.texts.at("text").find("deferred") != std::string::npos;
  });

  // A panel call from a plugin thread: refused by this host (no any-thread flag), so no post.
  message.text = R"({"type":"post_from_thread"})";
  host.page_request(2, "", message);
  message.text = R"({"type":"after"})";
  host.page_request(2, "", message);
  // The echo of "after" is the second echo on the client's page.
  int echoes = 0;
  janus.wait_for([&echoes](const PageEvent& event) {
    if (event.kind() == "panel_post" && event.texts.at("text").find("\"echo\"") != std::string::npos) ++echoes;
    return echoes == 2;
  });
  for (const PageEvent& event : janus.events_for(2)) {
    if (event.kind() == "panel_post") CHECK(event.texts.at("text").find("threaded") == std::string::npos);
  }

  // The client leaves the room: their panel closes on their page.
  RoomEvent left;
  left.kind = RoomEvent::Kind::left;
  left.room = "77";
  left.feed = "22";
  host.room_event(left);
  PageEvent closed = janus.wait_for(
      [](const PageEvent& event) { return event.handle == 2 && event.kind() == "panel_close"; });
  CHECK(closed.numbers["panel"] == client_panel_id);

  host.stop(std::chrono::milliseconds(2000));
  // After stop, a page's request finds nothing running and nothing crashes.
  host.page_request(1, "", message);
}

TEST_CASE("a page without a good token gets nothing but the refusal") {
  RecordingJanus janus;
  AllianceHost host(settings_for_echo(), janus);
  REQUIRE(host.start().empty());
  host.page_request(5, "forged", register_request(token_for("pat-alex", "client", "22") + "x"));
  PageEvent refused = janus.wait_for([](const PageEvent& event) { return event.kind() == "error"; });
  CHECK(refused.transaction == "forged");
  CHECK(refused.texts["error"] == "invalid_token");
  PageRequest message;
  message.kind = PageRequest::Kind::panel_message;
  message.panel = 1;
  message.text = "{}";
  host.page_request(5, "m", message);
  PageEvent not_registered = janus.wait_for(
      [](const PageEvent& event) { return event.transaction == "m"; });
  CHECK(not_registered.texts["error"] == "not_registered");
}

TEST_CASE("a plugin that cannot start is reported with its reason, and nothing runs") {
  RecordingJanus janus;
  AdapterSettings settings = settings_for_echo();
  settings.plugin_path = "/nonexistent/liballiance.so";
  AllianceHost host(settings, janus);
  std::string error = host.start();
  CHECK(error.find("cannot load /nonexistent/liballiance.so") == 0);
}

TEST_CASE("a page that keeps presenting bad tokens is answered every time, and logged only at first") {
  RecordingJanus janus;
  AllianceHost host(settings_for_echo(), janus);
  REQUIRE(host.start().empty());
  for (int attempt = 0; attempt < 50; ++attempt) {
    host.page_request(6, "bad-" + std::to_string(attempt), register_request("not.a-token"));
  }
  janus.wait_for([](const PageEvent& event) { return event.transaction == "bad-49"; });
  CHECK(janus.events_with_transaction_prefix("bad-") == 50);
  CHECK(janus.log_lines_containing("refused a participant token") == 4);
  CHECK(janus.log_lines_containing("further refusals are not logged") == 1);
}
