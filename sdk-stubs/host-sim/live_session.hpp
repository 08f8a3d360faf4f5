#pragma once

// The live mode's host logic for one session, without any networking: what each
// participant's page may ask for, the plugin hooks that follow, and what each
// connected page has not been told yet. The server hands it the text its pages send
// and sends what it returns; everything here runs on the host thread.
//
// The host, not the page, decides who the viewer is: a connection belongs to the
// participant whose URL the host served, and a message naming a panel that is not
// that participant's is refused before the plugin sees it.
//
// Page -> host (JSON text):
//   {"type":"start_session"} and {"type":"end_session"}   clinicians only
//   {"type":"leave"}
//   {"type":"panel_message","panel_id":N,"text":"..."}    the panel's own text, unchanged
//   {"type":"panel_closed","panel_id":N,"reason":"dismissed"|"submitted"}
// Host -> page:
//   {"type":"session_state","state":"not_started"|"running"|"ended","present":bool}
//   {"type":"panel_open","panel_id":N,"title":"...","src":"/panel/<session>/<participant>/N"}
//   {"type":"panel_post","panel_id":N,"text":"..."}
//   {"type":"panel_close","panel_id":N}
//   {"type":"refused","reason":"..."}                     to the sender of a bad message

#include "hook_call.hpp"
#include "hook_watchdog.hpp"
#include "host.hpp"
#include "scenario.hpp"
#include "timing_trace.hpp"
#include "transcript.hpp"

#include <telehealth/plugin_abi.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace host_sim {

using ConnectionId = std::uint64_t;

// Page messages larger than this are refused unread (the server's WebSocket limit).
inline constexpr std::size_t largest_page_message_bytes = 64 * 1024;

// One JSON text for one connected page.
struct PageMessage {
  ConnectionId connection = 0;
  std::string text;
  // With --trace-timing: the event to mark once the text is written ("" for none).
  std::string_view written_event = {};
};

enum class SessionPhase { NotStarted, Running, Ended };

class LiveSession {
 public:
  // `session` and `plugin` must outlive this object. `hook_limit` is how long one
  // hook call may take before the watchdog ends the process.
  LiveSession(const ScenarioSession& session, const thp_plugin_api& plugin, Host& host,
              Transcript& transcript, HookWatchdog& watchdog, std::chrono::milliseconds hook_limit,
              const TimingTrace& trace);
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;

  const ScenarioSession& session() const { return session_; }
  SessionPhase phase() const { return phase_; }

  // A page of `participant_id` connected. Its still-open panels are delivered by the
  // next take_page_messages. False when the session has no such participant.
  bool connect(ConnectionId connection, const std::string& participant_id);
  void disconnect(ConnectionId connection);
  // One text message from a connected page; a bad one is refused with a reply.
  void receive(ConnectionId connection, std::string_view text);

  // Replies, session changes and whatever the plugin did to panels since the last
  // call, as messages for the connected pages, in order.
  std::vector<PageMessage> take_page_messages();

  // The HTML of one of `participant_id`'s open panels, for the URL panel_open named;
  // nothing when the panel is closed or someone else's.
  std::optional<std::string> panel_html(const std::string& participant_id,
                                        thp_panel_id panel_id) const;

  const std::vector<HookCall>& hook_calls() const { return hook_calls_; }

 private:
  struct PanelDelivery {
    std::size_t posts_sent = 0;
    bool close_sent = false;
  };
  struct Connection {
    std::string participant_id;
    std::map<thp_panel_id, PanelDelivery> panels;
  };

  void start(const Connection& from);
  void end(const Connection& from);
  void join(const std::string& participant_id);
  void leave(const std::string& participant_id);
  void panel_message(ConnectionId connection, const Connection& from, thp_panel_id panel_id,
                     const std::string& text);
  void panel_closed(ConnectionId connection, const Connection& from, thp_panel_id panel_id,
                    thp_panel_close_reason reason);

  bool is_present(const std::string& participant_id) const;
  bool is_clinician(const std::string& participant_id) const;
  // Why `participant_id` may not use `panel_id`, or empty when they may.
  std::string panel_refusal(const std::string& participant_id, thp_panel_id panel_id) const;
  void refuse(ConnectionId connection, const std::string& participant_id, std::string reason);
  void tell_session_state(ConnectionId connection);
  void tell_everyone_session_state();
  void deliver_panel_changes(std::vector<PageMessage>& out);
  std::string name_of(const std::string& participant_id) const;

  template <typename Call>
  thp_status call_hook(const char* hook, Call&& call);

  const ScenarioSession& session_;
  const thp_plugin_api& plugin_;
  Host& host_;
  Transcript& transcript_;
  HookWatchdog& watchdog_;
  std::chrono::milliseconds hook_limit_;
  const TimingTrace& trace_;

  SessionPhase phase_ = SessionPhase::NotStarted;
  std::map<ConnectionId, Connection> connections_;
  std::vector<PageMessage> pending_;
  std::vector<HookCall> hook_calls_;
};

}  // namespace host_sim
