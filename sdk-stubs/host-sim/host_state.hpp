#pragma once

// Everything the host knows and has seen: who is in which session, every panel the
// plugin opened with the messages that crossed it, the plugin's log lines and the
// failures found so far. Plain data; the Host guards it with its mutex.

#include <telehealth/plugin_abi.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace host_sim {

enum class ClosedBy { Plugin, Host };

struct PanelRecord {
  thp_panel_id panel_id = 0;
  std::string session_id;
  std::string participant_id;
  std::string title;
  std::string html;
  std::int64_t opened_at_ms = 0;
  std::optional<std::int64_t> closed_at_ms;
  std::optional<ClosedBy> closed_by;
  std::optional<thp_panel_close_reason> close_reason;  // only when the host closed it
  bool opened_on_host_thread = true;
  std::vector<nlohmann::ordered_json> to_panel;  // what the plugin posted
  std::vector<std::string> from_panel;           // raw text the host delivered

  bool is_open() const { return !closed_at_ms.has_value(); }
  // How many posted messages are objects whose "type" is `message_type`.
  std::size_t count_messages_of_type(std::string_view message_type) const;
};

struct LogRecord {
  std::string level;
  std::string message;
  bool on_host_thread = true;
};

struct Attendee {
  std::string display_name;
  bool present = false;
};

enum class PanelStates { OpenOnly, Any };

// Which panels a scenario step means: those of one participant in one session,
// optionally narrowed to titles containing a substring.
struct PanelQuery {
  std::string session_id;
  std::string participant_id;
  std::optional<std::string> title_contains;
  PanelStates states = PanelStates::OpenOnly;
};

struct HostState {
  std::vector<PanelRecord> panels;  // panel id N is at index N - 1
  std::vector<LogRecord> logs;
  std::vector<std::string> failures;
  std::map<std::string, std::map<std::string, Attendee, std::less<>>, std::less<>> sessions;
  // Ended sessions: when (run clock) their post-session window closes, as the ABI
  // header describes it. Absent while a session runs.
  std::map<std::string, std::int64_t, std::less<>> window_closes_at_ms;

  PanelRecord* find_panel(thp_panel_id panel_id);
  const PanelRecord* find_panel(thp_panel_id panel_id) const;
  std::vector<const PanelRecord*> matching_panels(const PanelQuery& query) const;
  // The most recently opened panel that matches, if any.
  const PanelRecord* latest_panel(const PanelQuery& query) const;
  const Attendee* find_attendee(std::string_view session_id,
                                std::string_view participant_id) const;
  // The display name, or the id when the participant has none or is unknown.
  std::string display_name(std::string_view session_id, std::string_view participant_id) const;
  // The participant's panels with the message types each received, on one line,
  // for failure messages.
  std::string describe_panels_of(std::string_view session_id,
                                 std::string_view participant_id) const;
};

}  // namespace host_sim
