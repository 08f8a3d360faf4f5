// The host side of the ABI inside Janus: loads liballiance.so as any host would
// (dlopen RTLD_LOCAL, thp_plugin_entry), calls its hooks on the adapter's host thread,
// and gives it the host functions (log, panel_open/post/close, run_on_host_thread).
// Panels are shown on the participant's Alliance handle; who is in which session comes
// from the RoomDirectory.
//
// Janus is behind the JanusSide interface, so that this class is plain C++ over the
// ABI header; janus_plugin.cpp implements JanusSide with Janus's callbacks.
#pragma once

#include "hook_times.hpp"
#include "host_thread.hpp"
#include "room_directory.hpp"

#include <telehealth/plugin_abi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace janus_host {

struct AdapterSettings {
  std::string plugin_path;         // liballiance.so
  std::string configuration_path;  // Alliance's JSON configuration
  std::string token_secret;        // shared with the telehealth backend
  std::int64_t token_lifetime_limit_seconds = 300;
  std::chrono::seconds post_session_window{600};
};

// One member of an event for a page: text or a number.
struct PageField {
  std::string key;
  std::variant<std::string, std::uint64_t> value;
};

// What the adapter needs of Janus. Called on the host thread (log: any thread).
class JanusSide {
 public:
  virtual ~JanusSide() = default;
  // Pushes {"alliance": ..., fields...} to the page of `handle`; false when the handle
  // is gone or Janus refused the event. `transaction` may be empty.
  virtual bool send_to_page(HandleKey handle, const std::string& transaction,
                            const std::vector<PageField>& fields) = 0;
  // Sends the event handler an event from `handle` carrying `nonce`, which Janus stamps
  // with the handle's Janus session (the way back is RoomEvent::Kind::binding).
  virtual void announce_binding(HandleKey handle, const std::string& nonce) = 0;
  virtual void log(thp_log_level level, std::string_view message) = 0;
};

// A page's request, as read on a Janus thread (janus_plugin.cpp).
struct PageRequest {
  enum class Kind { register_token, panel_message, panel_closed, end_session };
  Kind kind = Kind::register_token;
  std::string token;
  thp_panel_id panel = 0;
  std::string text;
  thp_panel_close_reason reason = THP_PANEL_DISMISSED;
};

// What the event handler reports, as read on Janus's events thread.
struct RoomEvent {
  enum class Kind { binding, joined, left, destroyed };
  Kind kind = Kind::joined;
  std::string nonce;  // binding
  std::string room;   // joined, left, destroyed
  std::string feed;   // joined, left
  JanusSession janus_session = 0;  // binding, joined
};

class AllianceHost {
 public:
  AllianceHost(AdapterSettings settings, JanusSide& janus);
  ~AllianceHost();
  AllianceHost(const AllianceHost&) = delete;
  AllianceHost& operator=(const AllianceHost&) = delete;

  // Loads the plugin on the host thread and waits for its entry call: "" when it
  // runs, else the reason (the plugin's own words included).
  std::string start();
  // Shuts the plugin down on the host thread (it persists what it has), then stops
  // the thread; tasks never run are cancelled as the ABI says. Idempotent.
  void stop(std::chrono::milliseconds plugin_timeout);

  // From Janus's threads; each queues onto the host thread and returns.
  void handle_destroyed(HandleKey handle);
  void page_request(HandleKey handle, std::string transaction, PageRequest request);
  void room_event(RoomEvent event);

  std::map<std::string, HookSummary> hook_times() const { return hook_times_.summary(); }

 private:
  struct OpenPanel {
    std::string session_id;
    std::string participant_id;
    HandleKey handle = 0;
  };
  struct HostSession {
    bool ended = false;
    std::map<std::string, HandleKey> attendees;  // who may be shown panels
  };

  // Host functions (thp_host_api), with `host` as this object.
  static void host_log(thp_host* host, thp_log_level level, thp_str message);
  static thp_status host_panel_open(thp_host* host, thp_str session_id, thp_str participant_id,
                                    thp_str title, thp_str html, thp_panel_id* out_panel);
  static thp_status host_panel_post(thp_host* host, thp_panel_id panel, thp_str json);
  static thp_status host_panel_close(thp_host* host, thp_panel_id panel);
  static thp_status host_run_on_host_thread(thp_host* host, thp_host_task task, void* user_data);

  std::string load_plugin();
  void on_request(HandleKey handle, const std::string& transaction, PageRequest& request);
  void on_room_event(const RoomEvent& event);
  void perform(const DirectoryActions& actions);
  void start_session(const DirectoryAction& action);
  void join(const DirectoryAction& action);
  void leave(const std::string& session_id, const std::string& participant_id);
  void end_session(const std::string& session_id);
  void close_window(const std::string& session_id);
  void close_panels(const std::string& session_id, const std::string* participant_id);
  void tell_error(HandleKey handle, const std::string& transaction, std::string_view error,
                  std::string_view reason);
  template <typename Call>
  thp_status call_hook(std::string_view name, Call call);
  void log(thp_log_level level, std::string_view message) { janus_.log(level, message); }

  AdapterSettings settings_;
  JanusSide& janus_;
  thp_host_api host_api_{};
  thp_plugin_api plugin_{};
  void* library_ = nullptr;
  std::atomic<bool> running_{false};
  std::atomic<bool> stopped_{false};
  HookTimes hook_times_;

  // Host thread only.
  RoomDirectory directory_;
  std::map<std::string, HandleKey> binding_nonces_;
  std::map<HandleKey, int> refused_registrations_;  // per live handle
  static constexpr int kLoggedRefusalsPerHandle = 3;
  std::map<std::string, HostSession> sessions_;
  std::map<thp_panel_id, OpenPanel> panels_;
  thp_panel_id next_panel_ = 1;

  HostThread thread_;  // last: it stops first, before what its tasks use goes away
};

}  // namespace janus_host
