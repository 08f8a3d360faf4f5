#include "live_session.hpp"

#include "abi_names.hpp"
#include "live_page.hpp"
#include "participant_view.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <utility>

namespace host_sim {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// Page text may hold invalid UTF-8; it is replaced rather than thrown over.
std::string dump(const Json& message) {
  return message.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string_view phase_name(SessionPhase phase) {
  switch (phase) {
    case SessionPhase::NotStarted:
      return "not_started";
    case SessionPhase::Running:
      return "running";
    case SessionPhase::Ended:
      return "ended";
  }
  return "not_started";
}

// A panel id as a page sends it: a positive whole JSON number.
std::optional<thp_panel_id> panel_id_in(const Json& message) {
  auto field = message.find("panel_id");
  if (field == message.end() || !field->is_number_unsigned()) return std::nullopt;
  thp_panel_id panel_id = field->get<thp_panel_id>();
  if (panel_id == 0) return std::nullopt;
  return panel_id;
}

std::optional<std::string> string_in(const Json& message, const char* key) {
  auto field = message.find(key);
  if (field == message.end() || !field->is_string()) return std::nullopt;
  return field->get<std::string>();
}

}  // namespace

LiveSession::LiveSession(const ScenarioSession& session, const thp_plugin_api& plugin, Host& host,
                         Transcript& transcript, HookWatchdog& watchdog,
                         std::chrono::milliseconds hook_limit, const TimingTrace& trace)
    : session_(session),
      plugin_(plugin),
      host_(host),
      transcript_(transcript),
      watchdog_(watchdog),
      hook_limit_(hook_limit),
      trace_(trace) {}

template <typename Call>
thp_status LiveSession::call_hook(const char* hook, Call&& call) {
  thp_status status = THP_OK;
  std::int64_t micros = 0;
  {
    WatchdogScope watch(watchdog_, std::string("the plugin's ") + hook + " hook", hook_limit_);
    Clock::time_point started = Clock::now();
    status = call();
    micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
  }
  hook_calls_.push_back({hook, status, micros});
  if (status != THP_OK) {
    transcript_.event(std::string("plugin's ") + hook + " returned " + status_name(status));
  }
  return status;
}

std::string LiveSession::name_of(const std::string& participant_id) const {
  const ScenarioParticipant* participant = session_.find_participant(participant_id);
  if (participant == nullptr || participant->display_name.empty()) return participant_id;
  return participant->display_name;
}

bool LiveSession::is_present(const std::string& participant_id) const {
  bool present = false;
  host_.inspect([&](const HostState& state) {
    const Attendee* attendee = state.find_attendee(session_.session_id, participant_id);
    present = attendee != nullptr && attendee->present;
  });
  return present;
}

bool LiveSession::is_clinician(const std::string& participant_id) const {
  const ScenarioParticipant* participant = session_.find_participant(participant_id);
  return participant != nullptr && participant->role == THP_ROLE_CLINICIAN;
}

// --- Connections. ---

bool LiveSession::connect(ConnectionId connection, const std::string& participant_id) {
  if (session_.find_participant(participant_id) == nullptr) return false;
  connections_[connection] = Connection{participant_id, {}};
  transcript_.event("host: page of " + name_of(participant_id) + " connected");
  // A page that opens while the call runs puts its participant in the call.
  if (phase_ == SessionPhase::Running && !is_present(participant_id)) join(participant_id);
  tell_session_state(connection);
  return true;
}

void LiveSession::disconnect(ConnectionId connection) {
  auto found = connections_.find(connection);
  if (found == connections_.end()) return;
  // A closed page is not a participant leaving (it may be a reload): only "leave" is.
  transcript_.event("host: page of " + name_of(found->second.participant_id) + " disconnected");
  connections_.erase(found);
}

void LiveSession::receive(ConnectionId connection, std::string_view text) {
  auto found = connections_.find(connection);
  if (found == connections_.end()) return;
  // A copy: a hook below may change connections_ (a join tells everyone).
  const Connection from = found->second;

  if (text.size() > largest_page_message_bytes) {
    refuse(connection, from.participant_id, "the message is larger than 64 KiB");
    return;
  }
  Json message = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object()) {
    refuse(connection, from.participant_id, "the message is not a JSON object");
    return;
  }
  std::optional<std::string> type = string_in(message, "type");
  if (!type) {
    refuse(connection, from.participant_id, "the message has no \"type\"");
    return;
  }

  if (*type == "start_session" || *type == "end_session") {
    if (!is_clinician(from.participant_id)) {
      refuse(connection, from.participant_id, "only a clinician starts or ends the session");
      return;
    }
    if (*type == "start_session") {
      start(from);
    } else {
      end(from);
    }
    return;
  }
  if (*type == "leave") {
    if (phase_ == SessionPhase::NotStarted || !is_present(from.participant_id)) {
      refuse(connection, from.participant_id, "not in the call");
      return;
    }
    leave(from.participant_id);
    return;
  }

  std::optional<thp_panel_id> panel_id = panel_id_in(message);
  if (*type == "panel_message") {
    std::optional<std::string> panel_text = string_in(message, "text");
    if (!panel_id || !panel_text) {
      refuse(connection, from.participant_id,
             "panel_message needs a positive \"panel_id\" and a string \"text\"");
      return;
    }
    panel_message(connection, from, *panel_id, *panel_text);
    return;
  }
  if (*type == "panel_closed") {
    std::optional<std::string> reason = string_in(message, "reason");
    if (!panel_id || !reason || (*reason != "dismissed" && *reason != "submitted")) {
      refuse(connection, from.participant_id,
             "panel_closed needs a positive \"panel_id\" and a \"reason\" of dismissed or "
             "submitted");
      return;
    }
    panel_closed(connection, from, *panel_id,
                 *reason == "submitted" ? THP_PANEL_SUBMITTED : THP_PANEL_DISMISSED);
    return;
  }
  refuse(connection, from.participant_id, "unknown message type \"" + abbreviate(*type, 40) + "\"");
}

void LiveSession::refuse(ConnectionId connection, const std::string& participant_id,
                         std::string reason) {
  transcript_.event("host: refused a message from the page of " + name_of(participant_id) + ": " +
                    reason);
  pending_.push_back({connection, dump(Json{{"type", "refused"}, {"reason", std::move(reason)}})});
}

void LiveSession::tell_session_state(ConnectionId connection) {
  auto found = connections_.find(connection);
  if (found == connections_.end()) return;
  pending_.push_back({connection, dump(Json{{"type", "session_state"},
                                            {"state", phase_name(phase_)},
                                            {"present", is_present(found->second.participant_id)}})});
}

void LiveSession::tell_everyone_session_state() {
  for (const auto& [connection, unused] : connections_) tell_session_state(connection);
}

// --- Session control, as the scenario runner does it. ---

void LiveSession::start(const Connection& from) {
  trace_.mark("start_session_received");
  if (phase_ != SessionPhase::NotStarted) {
    transcript_.event("host: " + name_of(from.participant_id) +
                      " asked to start a session that has already started; ignored");
    tell_everyone_session_state();
    return;
  }
  std::vector<std::pair<std::string, Attendee>> attendees;
  std::vector<thp_participant> present;
  for (const ScenarioParticipant& participant : session_.participants) {
    attendees.push_back({participant.participant_id,
                         Attendee{participant.display_name, participant.present_at_start}});
    if (participant.present_at_start) present.push_back(participant_view(participant));
  }
  // Pointers are taken only once `present` has stopped growing.
  std::vector<const thp_participant*> present_pointers;
  for (const thp_participant& participant : present) present_pointers.push_back(&participant);
  host_.register_session(session_.session_id, attendees);

  thp_session started{};
  started.struct_size = sizeof(thp_session);
  started.session_id = view(session_.session_id);
  started.appointment_kind = session_.appointment_kind;
  started.medium = session_.medium;
  started.start_time = view(session_.start_time);
  started.encounter_reference = view(session_.encounter_reference);
  started.participants = present_pointers.data();
  started.participant_count = present_pointers.size();

  phase_ = SessionPhase::Running;
  transcript_.event("host: " + name_of(from.participant_id) + " started session " +
                    session_.session_id);
  call_hook("session_started", [&] { return plugin_.session_started(plugin_.plugin, &started); });
  trace_.mark("session_started_returned");

  // Whoever already has their page open is in the call, listed at start or not.
  std::vector<std::string> waiting;
  for (const auto& [connection, page] : connections_) {
    if (!is_present(page.participant_id)) waiting.push_back(page.participant_id);
  }
  for (const std::string& participant_id : waiting) {
    if (!is_present(participant_id)) join(participant_id);
  }
  tell_everyone_session_state();
}

void LiveSession::end(const Connection& from) {
  if (phase_ != SessionPhase::Running) {
    transcript_.event("host: " + name_of(from.participant_id) +
                      " asked to end a session that is not running; ignored");
    tell_everyone_session_state();
    return;
  }
  phase_ = SessionPhase::Ended;
  transcript_.event("host: " + name_of(from.participant_id) + " ended session " +
                    session_.session_id);
  host_.end_session(session_.session_id, std::chrono::milliseconds(session_.post_session_window_ms));
  call_hook("session_ended",
            [&] { return plugin_.session_ended(plugin_.plugin, view(session_.session_id)); });
  tell_everyone_session_state();
}

void LiveSession::join(const std::string& participant_id) {
  const ScenarioParticipant* participant = session_.find_participant(participant_id);
  if (participant == nullptr) return;
  thp_participant joined = participant_view(*participant);
  host_.set_present(session_.session_id, participant_id, true);
  transcript_.event("host: " + name_of(participant_id) + " joined");
  call_hook("participant_joined", [&] {
    return plugin_.participant_joined(plugin_.plugin, view(session_.session_id), &joined);
  });
  tell_everyone_session_state();
}

void LiveSession::leave(const std::string& participant_id) {
  const std::string name = name_of(participant_id);
  // Absent first, so that a plugin thread cannot open a new panel for them meanwhile.
  host_.set_present(session_.session_id, participant_id, false);
  transcript_.event("host: " + name + " left");
  // As a real host does, the leaver's panels go away before the plugin hears of it.
  for (thp_panel_id panel_id :
       host_.close_open_panels_of(session_.session_id, participant_id, THP_PANEL_PARTICIPANT_LEFT)) {
    transcript_.event("host: closed panel " + std::to_string(panel_id) + " of " + name +
                      " (participant_left)");
    call_hook("panel_closed", [&] {
      return plugin_.panel_closed(plugin_.plugin, panel_id, THP_PANEL_PARTICIPANT_LEFT);
    });
  }
  std::string session_id = session_.session_id;
  call_hook("participant_left", [&] {
    return plugin_.participant_left(plugin_.plugin, view(session_id), view(participant_id));
  });
  tell_everyone_session_state();
}

// --- Panels. ---

std::string LiveSession::panel_refusal(const std::string& participant_id,
                                       thp_panel_id panel_id) const {
  std::string refusal;
  host_.inspect([&](const HostState& state) {
    const PanelRecord* panel = state.find_panel(panel_id);
    if (panel == nullptr || panel->session_id != session_.session_id ||
        panel->participant_id != participant_id) {
      // The same words whether the panel exists or not: a page learns nothing about
      // other people's panels by trying ids.
      refusal = "panel " + std::to_string(panel_id) + " is not one of this participant's panels";
    } else if (!panel->is_open()) {
      refusal = "panel " + std::to_string(panel_id) + " is closed";
    }
  });
  return refusal;
}

void LiveSession::panel_message(ConnectionId connection, const Connection& from,
                                thp_panel_id panel_id, const std::string& text) {
  if (std::string refusal = panel_refusal(from.participant_id, panel_id); !refusal.empty()) {
    refuse(connection, from.participant_id, std::move(refusal));
    return;
  }
  host_.note_message_to_plugin(panel_id, text);
  transcript_.event(name_of(from.participant_id) + " -> panel " + std::to_string(panel_id) + ": " +
                    abbreviate(text));
  call_hook("panel_message",
            [&] { return plugin_.panel_message(plugin_.plugin, panel_id, view(text)); });
}

void LiveSession::panel_closed(ConnectionId connection, const Connection& from,
                               thp_panel_id panel_id, thp_panel_close_reason reason) {
  if (std::string refusal = panel_refusal(from.participant_id, panel_id); !refusal.empty()) {
    refuse(connection, from.participant_id, std::move(refusal));
    return;
  }
  // The plugin may have closed it in the meantime; then there is nothing to report.
  if (!host_.close_panel(panel_id, reason)) return;
  transcript_.event("host: " + name_of(from.participant_id) + " closed panel " +
                    std::to_string(panel_id) + " (" + std::string(close_reason_name(reason)) + ")");
  call_hook("panel_closed",
            [&] { return plugin_.panel_closed(plugin_.plugin, panel_id, reason); });
}

std::optional<std::string> LiveSession::panel_html(const std::string& participant_id,
                                                  thp_panel_id panel_id) const {
  if (!panel_refusal(participant_id, panel_id).empty()) return std::nullopt;
  std::optional<std::string> html;
  host_.inspect([&](const HostState& state) {
    if (const PanelRecord* panel = state.find_panel(panel_id)) html = panel->html;
  });
  return html;
}

// --- What the pages have not been told. ---

std::vector<PageMessage> LiveSession::take_page_messages() {
  std::vector<PageMessage> out = std::move(pending_);
  pending_.clear();
  deliver_panel_changes(out);
  return out;
}

void LiveSession::deliver_panel_changes(std::vector<PageMessage>& out) {
  if (connections_.empty()) return;
  host_.inspect([&](const HostState& state) {
    for (const PanelRecord& panel : state.panels) {
      if (panel.session_id != session_.session_id) continue;
      for (auto& [connection, page] : connections_) {
        if (page.participant_id != panel.participant_id) continue;
        auto delivery = page.panels.find(panel.panel_id);
        if (delivery == page.panels.end()) {
          // A panel closed before this page connected is not shown at all; an open
          // one is shown with everything posted to it so far (a reload restores it).
          if (!panel.is_open()) continue;
          out.push_back({connection, dump(Json{{"type", "panel_open"},
                                               {"panel_id", panel.panel_id},
                                               {"title", panel.title},
                                               {"src", participant_panel_prefix(
                                                           session_.session_id,
                                                           panel.participant_id) +
                                                           std::to_string(panel.panel_id)}}),
                         is_clinician(panel.participant_id) ? "panel_open_written.clinician"
                                                            : "panel_open_written.client"});
          delivery = page.panels.emplace(panel.panel_id, PanelDelivery{}).first;
        }
        PanelDelivery& sent = delivery->second;
        if (sent.close_sent) continue;
        for (; sent.posts_sent < panel.to_panel.size(); ++sent.posts_sent) {
          out.push_back({connection, dump(Json{{"type", "panel_post"},
                                               {"panel_id", panel.panel_id},
                                               {"text", dump(panel.to_panel[sent.posts_sent])}})});
        }
        if (!panel.is_open()) {
          out.push_back(
              {connection, dump(Json{{"type", "panel_close"}, {"panel_id", panel.panel_id}})});
          sent.close_sent = true;
        }
      }
    }
  });
}

}  // namespace host_sim
