#include "host_state.hpp"

namespace host_sim {

std::size_t PanelRecord::count_messages_of_type(std::string_view message_type) const {
  std::size_t count = 0;
  for (const nlohmann::ordered_json& message : to_panel) {
    if (!message.is_object()) continue;
    auto type = message.find("type");
    if (type != message.end() && type->is_string() &&
        type->get_ref<const std::string&>() == message_type) {
      ++count;
    }
  }
  return count;
}

PanelRecord* HostState::find_panel(thp_panel_id panel_id) {
  if (panel_id == 0 || panel_id > panels.size()) return nullptr;
  return &panels[panel_id - 1];
}

const PanelRecord* HostState::find_panel(thp_panel_id panel_id) const {
  if (panel_id == 0 || panel_id > panels.size()) return nullptr;
  return &panels[panel_id - 1];
}

std::vector<const PanelRecord*> HostState::matching_panels(const PanelQuery& query) const {
  std::vector<const PanelRecord*> matches;
  for (const PanelRecord& panel : panels) {
    if (panel.session_id != query.session_id || panel.participant_id != query.participant_id) {
      continue;
    }
    if (query.states == PanelStates::OpenOnly && !panel.is_open()) continue;
    if (query.title_contains && panel.title.find(*query.title_contains) == std::string::npos) {
      continue;
    }
    matches.push_back(&panel);
  }
  return matches;
}

const PanelRecord* HostState::latest_panel(const PanelQuery& query) const {
  std::vector<const PanelRecord*> matches = matching_panels(query);
  // Panels are stored in the order they were opened.
  return matches.empty() ? nullptr : matches.back();
}

const Attendee* HostState::find_attendee(std::string_view session_id,
                                         std::string_view participant_id) const {
  auto session = sessions.find(session_id);
  if (session == sessions.end()) return nullptr;
  auto attendee = session->second.find(participant_id);
  if (attendee == session->second.end()) return nullptr;
  return &attendee->second;
}

std::string HostState::display_name(std::string_view session_id,
                                    std::string_view participant_id) const {
  const Attendee* attendee = find_attendee(session_id, participant_id);
  if (attendee == nullptr || attendee->display_name.empty()) return std::string(participant_id);
  return attendee->display_name;
}

std::string HostState::describe_panels_of(std::string_view session_id,
                                          std::string_view participant_id) const {
  std::string description;
  for (const PanelRecord& panel : panels) {
    if (panel.session_id != session_id || panel.participant_id != participant_id) continue;
    description += std::string(description.empty() ? " " : "; ") + "panel " +
                   std::to_string(panel.panel_id) + " \"" + panel.title + "\" (" +
                   (panel.is_open() ? "open" : "closed") + ", received types: [";
    bool first = true;
    for (const nlohmann::ordered_json& message : panel.to_panel) {
      if (!first) description += ", ";
      first = false;
      auto type = message.is_object() ? message.find("type") : message.end();
      description += (type != message.end() && type->is_string())
                         ? type->get<std::string>()
                         : std::string("(no type)");
    }
    description += "])";
  }
  if (description.empty()) return " none was ever opened for this participant in this session";
  return description;
}

}  // namespace host_sim
