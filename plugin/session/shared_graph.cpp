// The client's own graph, shown by the therapist: the workflow's side (see
// shared_graph.hpp). Every request comes from a therapist's panel and is read strictly
// (panels/clinician_message.hpp); the answer, {"type":"sharing","participant_id",
// "state":"shown"|"stopped"|"refused","reason"}, goes to every therapist's panel of the
// session, so that two therapists' buttons agree and a graph the client closed is
// shown as stopped.
#include "session/shared_graph.hpp"

#include <nlohmann/json.hpp>

#include "panels/client_graph_message.hpp"
#include "panels/clinician_message.hpp"
#include "panels/panels.hpp"
#include "runtime/log_text.hpp"
#include "scoring/scoring.hpp"
#include "session/measure_selection.hpp"
#include "session/session_workflow.hpp"

namespace alliance {

using nlohmann::json;

namespace {

bool spanish(const std::string& language) { return language == "es" || language.rfind("es-", 0) == 0; }

// Only the fields the page shows, each checked for its kind: whatever else a trend
// point carries stays behind.
json copy_points(const json& series) {
  json points = json::array();
  const auto found = series.find("points");
  if (found == series.end() || !found->is_array()) return points;
  for (const json& point : *found) {
    if (!point.is_object() || !point.contains("total") || !point["total"].is_number()) continue;
    points.push_back({{"session_number", point.value("session_number", 0)},
                      {"date", point.value("date", std::string())},
                      {"total", point["total"].get<double>()}});
  }
  return points;
}

const json* series_of(const json& trend, const char* family) {
  const auto series = trend.find("series");
  if (series == trend.end() || !series->is_array()) return nullptr;
  for (const json& entry : *series) {
    if (entry.is_object() && entry.value("family", std::string()) == family) return &entry;
  }
  return nullptr;
}

}  // namespace

json client_graph_data(const json& trend, const std::string& outcome_measure, std::optional<double> cutoff,
                       double reliable_change, double alliance_cutoff, const std::string& language,
                       bool include_session_rating) {
  json data = {{"language", language}, {"measure", outcome_measure}, {"child", is_child_measure(outcome_measure)}};
  json outcome = {{"cutoff", cutoff ? json(*cutoff) : json(nullptr)},
                  {"intake_total", nullptr},
                  {"reliable_change", reliable_change},
                  {"points", json::array()}};
  if (const json* series = series_of(trend, "ORS")) {
    outcome["points"] = copy_points(*series);
    const auto intake = series->find("intake_total");
    if (intake != series->end() && intake->is_number()) outcome["intake_total"] = intake->get<double>();
  }
  data["outcome"] = std::move(outcome);
  if (include_session_rating) {
    json session_rating = {{"measure", "SRS"}, {"cutoff", alliance_cutoff}, {"points", json::array()}};
    if (const json* series = series_of(trend, "SRS")) {
      session_rating["measure"] = series->value("measure", std::string("SRS"));
      session_rating["points"] = copy_points(*series);
    }
    data["session_rating"] = std::move(session_rating);
  }
  return data;
}

std::string client_graph_title(const std::string& language) {
  return spanish(language) ? "Sus puntuaciones hasta ahora" : "Your scores so far";
}

const char* share_refusal(const ShareConditions& conditions) {
  if (conditions.session_ended) return "session_ended";
  if (!conditions.is_client) return "unknown_participant";
  if (!conditions.present) return "absent";
  // A client on the phone has no screen to show a panel on, whatever else is true.
  if (conditions.medium == SessionMedium::audio) return "no_screen";
  if (!conditions.collects_measures) return "not_collected";
  if (!conditions.has_chart) return "no_chart";
  return nullptr;
}

const char* SessionWorkflow::cannot_share(const SessionState& session, const ParticipantState& participant) const {
  return share_refusal(ShareConditions{session.ended, participant.details.role == ParticipantRole::client,
                                       participant.present, session.details.medium, session.collects_measures,
                                       !client_key_for(participant.details).empty()});
}

void SessionWorkflow::tell_sharing(const SessionState& session, const std::string& participant_id, const char* state,
                                   const char* reason) {
  json message = {{"type", "sharing"}, {"participant_id", participant_id}, {"state", state}};
  if (reason != nullptr) message["reason"] = reason;
  const std::string text = message.dump();
  // Not kept for replay: a therapist who opens the panel later gets the current state
  // (post_sharing_states), not every click.
  for (thp_panel_id clinician_panel : session.clinician_panels) host_.post_to_panel(clinician_panel, text);
}

void SessionWorkflow::post_sharing_states(const SessionState& session, thp_panel_id clinician_panel) {
  for (const auto& [id, participant] : session.participants) {
    if (participant.graph.panel == 0) continue;
    host_.post_to_panel(clinician_panel,
                        json({{"type", "sharing"}, {"participant_id", id}, {"state", "shown"}}).dump());
  }
}

void SessionWorkflow::sharing_panel_message(thp_panel_id panel, PanelBinding& binding, const std::string& text,
                                            size_t received_bytes) {
  const auto session = sessions_.find(binding.session_id);
  if (binding.purpose == PanelPurpose::client_graph) {
    // The graph only shows; its one message is its Close button's.
    if (received_bytes <= kMaximumClientGraphMessageBytes &&
        parse_client_graph_message(text) == ClientGraphMessage::close && session != sessions_.end()) {
      const auto participant = session->second.participants.find(binding.participant_id);
      if (participant != session->second.participants.end() && participant->second.graph.panel == panel) {
        stop_sharing(session->second, participant->second, "closed_by_client");
        return;
      }
    }
    if (repeat_worth_logging(++binding.refused_messages)) {
      log(LogLevel::debug, "event=panel_message outcome=ignored reason=client_graph ignored_so_far=" +
                               std::to_string(binding.refused_messages));
    }
    return;
  }
  const auto answer_invalid = [&](const InvalidMessage& invalid) {
    if (repeat_worth_logging(++binding.refused_messages)) {
      log(LogLevel::info, "event=clinician_message_refused problems=" + std::to_string(invalid.problems.size()) +
                              " refused_so_far=" + std::to_string(binding.refused_messages));
    }
    json problems = json::array();
    for (const MessageProblem& problem : invalid.problems) {
      problems.push_back({{"field", problem.field}, {"message", problem.message}});
    }
    host_.post_to_panel(panel, json({{"type", "invalid"}, {"problems", problems}}).dump());
  };
  if (received_bytes > kMaximumClinicianMessageBytes) {
    // Too large to have been copied: refused from its size alone.
    return answer_invalid(InvalidMessage{{{"", "The message is too large (" + std::to_string(received_bytes) +
                                                   " bytes; at most " +
                                                   std::to_string(kMaximumClinicianMessageBytes) + ")."}}});
  }
  const ParsedClinicianMessage parsed = parse_clinician_message(text);
  if (const auto* invalid = std::get_if<InvalidMessage>(&parsed)) return answer_invalid(*invalid);
  if (session == sessions_.end()) return;
  const ClinicianMessage& request = std::get<ClinicianMessage>(parsed);
  if (request.request == ClinicianRequest::share_trend) {
    share_trend(session->second, request.participant_id, binding.refused_messages);
    return;
  }
  const auto participant = session->second.participants.find(request.participant_id);
  if (participant == session->second.participants.end() ||
      participant->second.details.role != ParticipantRole::client) {
    // Nothing is shown to someone the session does not have: "stopped" is true, and
    // says nothing about who is in which session.
    tell_sharing(session->second, request.participant_id, "stopped");
    return;
  }
  stop_sharing(session->second, participant->second, "stopped_by_therapist");
}

void SessionWorkflow::share_trend(SessionState& session, const std::string& participant_id,
                                  long long& refused_messages) {
  const auto refuse = [&](const char* reason) {
    if (repeat_worth_logging(++refused_messages)) {
      log(LogLevel::info, "event=graph_share_refused session=" + session.tag + " reason=" + reason +
                              " refused_so_far=" + std::to_string(refused_messages));
    }
    tell_sharing(session, participant_id, "refused", reason);
  };
  const auto found = session.participants.find(participant_id);
  if (found == session.participants.end()) return refuse("unknown_participant");
  ParticipantState& participant = found->second;
  if (const char* reason = cannot_share(session, participant)) return refuse(reason);
  if (participant.graph.opening) {
    participant.graph.close_when_opened = false;  // shared again before it opened: "shown" follows
    return;
  }
  // One graph per client at a time: a second "show" is answered with what is so.
  if (participant.graph.panel != 0) return tell_sharing(session, participant_id, "shown");

  const AgeBand band = band_of(participant);
  std::string measure = outcome_measure_for(band, configuration_.selection);
  std::string html;
  std::string title;
  try {
    const json trend = json::parse(trend_message(session, participant, client_key_for(participant.details)));
    if (measure.empty()) measure = series_of(trend, "ORS") ? series_of(trend, "ORS")->value("measure", "ORS") : "ORS";
    const MeasureDefinition* definition = measures_.find(measure, participant.details.preferred_language);
    const std::string language = definition != nullptr ? definition->language : measures_.default_language;
    const std::optional<Tenths> cutoff = outcome_cutoff_for(band, configuration_.scoring);
    const json data = client_graph_data(
        trend, measure, cutoff ? std::optional<double>(tenths_to_points(*cutoff)) : std::nullopt,
        tenths_to_points(configuration_.scoring.reliable_change), tenths_to_points(configuration_.scoring.alliance_cutoff),
        language, configuration_.selection.share_srs_trend_with_client);
    if (data["outcome"]["points"].empty()) return refuse("no_scores");
    title = client_graph_title(language);
    html = render_client_graph_panel(title, data.dump(), language);
  } catch (const std::exception& error) {
    log(LogLevel::warning, "event=graph_unavailable session=" + session.tag + " reason=" + log_value(error.what()));
    return refuse("unavailable");
  }
  participant.graph.opening = true;
  ++session.open_panels;  // kept until the host's answer (shared_graph_opened)
  const std::string session_id = session.details.session_id;
  try {
    host_.open_panel(session_id, participant_id, title, std::move(html),
                     [this, session_id, participant_id](thp_status status, thp_panel_id panel) {
                       shared_graph_opened(session_id, participant_id, status, panel);
                     });
  } catch (...) {
    --session.open_panels;
    participant.graph.opening = false;
    throw;
  }
}

void SessionWorkflow::shared_graph_opened(const std::string& session_id, const std::string& participant_id,
                                          thp_status status, thp_panel_id panel) {
  const auto session = sessions_.find(session_id);
  ParticipantState* participant = nullptr;
  if (session != sessions_.end()) {
    const auto found = session->second.participants.find(participant_id);
    if (found != session->second.participants.end()) participant = &found->second;
  }
  if (status != THP_OK || panel == 0) {
    if (participant != nullptr) {
      const bool told = participant->graph.close_when_opened;
      participant->graph = SharedGraph{};
      if (!told) tell_sharing(session->second, participant_id, "refused", "panel_refused");
    }
    panel_open_failed(session_id, "panel_kind=client_graph", status);
    return;
  }
  if (participant == nullptr || participant->graph.close_when_opened) {
    // Stopped, or the session ended, while it was opening: it closes at once (the
    // therapists were told then), and the session does not wait for it.
    host_.close_panel(panel);
    if (participant != nullptr) participant->graph = SharedGraph{};
    if (session != sessions_.end()) --session->second.open_panels;
    if (event_depth_ == 0) forget_if_finished(session_id);
    return;
  }
  participant->graph = SharedGraph{panel, false, false};
  panels_[panel] = PanelBinding{session_id, participant_id, PanelPurpose::client_graph, nullptr};
  log(LogLevel::info, "event=panel_opened session=" + session->second.tag +
                          " panel_kind=client_graph srs=" +
                          (configuration_.selection.share_srs_trend_with_client ? "yes" : "no") +
                          " panel=" + std::to_string(panel));
  tell_sharing(session->second, participant_id, "shown");
}

void SessionWorkflow::stop_sharing(SessionState& session, ParticipantState& participant, const char* reason) {
  const std::string& participant_id = participant.details.participant_id;
  if (participant.graph.opening) {
    participant.graph.close_when_opened = true;  // closed as soon as the host has opened it
    tell_sharing(session, participant_id, "stopped", reason);
    return;
  }
  const thp_panel_id panel = participant.graph.panel;
  if (panel != 0) {
    participant.graph = SharedGraph{};
    panels_.erase(panel);
    --session.open_panels;
    host_.close_panel(panel);  // not reported back by the host
    log(LogLevel::info, "event=panel_closed session=" + session.tag + " panel_kind=client_graph reason=" + reason);
  }
  tell_sharing(session, participant_id, "stopped", reason);
}

void SessionWorkflow::stop_sharing_all(SessionState& session, const char* reason) {
  for (auto& [id, participant] : session.participants) {
    if (participant.graph.panel != 0 || (participant.graph.opening && !participant.graph.close_when_opened)) {
      stop_sharing(session, participant, reason);
    }
  }
}

void SessionWorkflow::shared_graph_closed(SessionState& session, const PanelBinding& closed,
                                          thp_panel_close_reason reason) {
  // The host closed it: the client dismissed it, or left. panel_closed has unbound the
  // panel and lowered the session's count already.
  const auto participant = session.participants.find(closed.participant_id);
  if (participant == session.participants.end()) return;
  participant->second.graph = SharedGraph{};
  const char* why = reason == THP_PANEL_PARTICIPANT_LEFT ? "participant_left" : "closed_by_client";
  log(LogLevel::info, "event=panel_closed session=" + session.tag + " panel_kind=client_graph reason=" + why);
  tell_sharing(session, closed.participant_id, "stopped", why);
}

}  // namespace alliance
