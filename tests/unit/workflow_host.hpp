// A host for driving the session workflow directly in unit tests: its table records
// every panel opened (with its page), every message posted to it and every close, in
// order, and the plugin's log lines. Panel calls are allowed from any thread, so every
// effect is visible as soon as a workflow call returns. As a real host does, it refuses
// posts to a panel the plugin has closed, and it can refuse to open a panel of a given
// title.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "telehealth/plugin_abi.h"

namespace alliance::testing {

struct WorkflowPanel {
  std::string session_id;
  std::string participant_id;
  std::string title;
  std::string html;
  std::vector<nlohmann::json> received;
  bool closed_by_plugin = false;
};

struct WorkflowHost {
  std::map<thp_panel_id, WorkflowPanel> panels;
  std::vector<std::string> events;  // "open <title>", "close <title>", in order
  std::vector<std::string> logs;
  thp_panel_id next_panel = 1;
  std::string refuse_title;  // panel_open of this title fails, as a host may refuse one

  static std::string text(thp_str view) { return std::string(view.ptr == nullptr ? "" : view.ptr, view.len); }

  thp_host_api api() {
    thp_host_api table{};
    table.struct_size = sizeof table;
    table.abi_major = THP_ABI_MAJOR;
    table.abi_minor = THP_ABI_MINOR;
    table.host = reinterpret_cast<thp_host*>(this);
    table.flags = THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD;
    table.log = [](thp_host* host, thp_log_level, thp_str message) {
      reinterpret_cast<WorkflowHost*>(host)->logs.push_back(text(message));
    };
    table.panel_open = [](thp_host* host, thp_str session, thp_str participant, thp_str title, thp_str html,
                          thp_panel_id* out) -> thp_status {
      auto* self = reinterpret_cast<WorkflowHost*>(host);
      if (!self->refuse_title.empty() && text(title) == self->refuse_title) return THP_ERROR_NOT_FOUND;
      *out = self->next_panel++;
      self->panels[*out] = WorkflowPanel{text(session), text(participant), text(title), text(html), {}, false};
      self->events.push_back("open " + text(title));
      return THP_OK;
    };
    table.panel_post = [](thp_host* host, thp_panel_id panel, thp_str message) -> thp_status {
      auto* self = reinterpret_cast<WorkflowHost*>(host);
      if (self->panels.count(panel) == 0 || self->panels[panel].closed_by_plugin) return THP_ERROR_NOT_FOUND;
      self->panels[panel].received.push_back(nlohmann::json::parse(text(message)));
      return THP_OK;
    };
    table.panel_close = [](thp_host* host, thp_panel_id panel) -> thp_status {
      auto* self = reinterpret_cast<WorkflowHost*>(host);
      self->panels[panel].closed_by_plugin = true;
      self->events.push_back("close " + self->panels[panel].title);
      return THP_OK;
    };
    table.run_on_host_thread = [](thp_host*, thp_host_task, void*) -> thp_status { return THP_ERROR_UNAVAILABLE; };
    return table;
  }

  // The newest panel of a participant whose title contains `title_part`, or 0.
  thp_panel_id find(const std::string& participant, const std::string& title_part) const {
    thp_panel_id found = 0;
    for (const auto& [id, panel] : panels) {
      if (panel.participant_id == participant && panel.title.find(title_part) != std::string::npos) found = id;
    }
    return found;
  }

  // The lines of the log that contain `part`.
  int log_lines_with(const std::string& part) const {
    int count = 0;
    for (const std::string& line : logs) count += line.find(part) != std::string::npos;
    return count;
  }
};

}  // namespace alliance::testing
