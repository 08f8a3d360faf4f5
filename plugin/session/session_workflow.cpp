#include "session/session_workflow.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "runtime/log_text.hpp"
#include "panels/panel_message.hpp"
#include "panels/panels.hpp"
#include "reading/utc_clock.hpp"
#include "mapping/uuid.hpp"
#include "scoring/history_merge.hpp"

namespace alliance {

using nlohmann::json;

namespace {

// A panel request raises its session's count of open panels (the session is kept until
// the panel's answer or closing). If the request throws before the host has it, the
// count goes back down, so the session can still finish.
class OpenPanelCount {
 public:
  explicit OpenPanelCount(int& count) : count_(count) { ++count_; }
  ~OpenPanelCount() {
    if (!kept_) --count_;
  }
  OpenPanelCount(const OpenPanelCount&) = delete;
  OpenPanelCount& operator=(const OpenPanelCount&) = delete;
  void keep() { kept_ = true; }

 private:
  int& count_;
  bool kept_ = false;
};

// "Outcome Rating Scale (ORS): about Sam", in the measure's language, so that a parent
// sees at once whose form it is. Languages without words here get the English ones.
std::string rater_title(const std::string& measure_title, const std::string& client_name, const std::string& language) {
  const bool spanish = language == "es" || language.rfind("es-", 0) == 0;
  if (client_name.empty()) return measure_title + (spanish ? ": sobre la persona atendida" : ": about the client");
  return measure_title + (spanish ? ": sobre " : ": about ") + client_name;
}

// The therapist's title of a form given aloud: "Outcome Rating Scale (ORS), read aloud
// with Sam" (the therapist's own words are English; the form inside is the client's).
std::string read_aloud_title(const std::string& measure_title, const std::string& answering_name) {
  return measure_title + ", read aloud with " + (answering_name.empty() ? std::string("the client") : answering_name);
}

bool collected_medium(SessionMedium medium, const SelectionRules& rules) {
  switch (medium) {
    case SessionMedium::video: return rules.collect_video;
    case SessionMedium::audio: return rules.collect_audio;
    case SessionMedium::in_person: return rules.collect_in_person;
  }
  return false;
}

const char* medium_name(SessionMedium medium) {
  switch (medium) {
    case SessionMedium::video: return "video";
    case SessionMedium::audio: return "audio";
    case SessionMedium::in_person: return "in_person";
  }
  return "unknown";
}

}  // namespace

std::string client_key_for(const Participant& participant) {
  // participant_id is unique only within one session (the header says so): two hosts'
  // "participant-1" are two people. Only the chart reference is stable; without it the
  // client has no history. (Older versions keyed such clients by "participant:" + id;
  // a chart reference is "Type/id" and can never take that form, so their rows belong
  // to nobody now.)
  return participant.fhir_reference;
}

std::string rater_key_for(const Participant& client, const Participant& rater) {
  const std::string client_key = client_key_for(client);
  if (client_key.empty()) return {};
  // The rater's own chart reference, else their relationship to this client (one
  // mother per child); a rater with neither has no stable identity either.
  const std::string who = !rater.fhir_reference.empty() ? rater.fhir_reference
                          : !rater.relationship.empty() ? "relationship:" + rater.relationship
                                                        : std::string();
  if (who.empty()) return {};
  return client_key + "\nrated-by:" + who;
}

namespace {

const char* describe(thp_panel_close_reason reason) {
  switch (reason) {
    case THP_PANEL_SUBMITTED: return "submitted";
    case THP_PANEL_DISMISSED: return "dismissed";
    case THP_PANEL_PARTICIPANT_LEFT: return "participant_left";
    default: return "unknown";
  }
}

json problems_message(const InvalidMessage& invalid) {
  json problems = json::array();
  for (const MessageProblem& problem : invalid.problems) {
    problems.push_back({{"field", problem.field}, {"message", problem.message}});
  }
  return {{"type", "invalid"}, {"problems", problems}};
}

}  // namespace

SessionWorkflow::SessionWorkflow(const Configuration& configuration, const MeasureLibrary& measures, Store& store,
                                 HostGateway& host, std::function<std::string()> now,
                                 std::function<void()> on_saved, RetryLater retry_later)
    : configuration_(configuration),
      measures_(measures),
      store_(store),
      host_(host),
      now_(std::move(now)),
      on_saved_(std::move(on_saved)),
      retry_later_(std::move(retry_later)) {}

SessionWorkflow::SessionState* SessionWorkflow::find_session(const std::string& session_id, const char* event) {
  const auto found = sessions_.find(session_id);
  if (found == sessions_.end()) {
    log(LogLevel::warning, std::string("event=") + event + " outcome=ignored reason=unknown_session");
    return nullptr;
  }
  return &found->second;
}

void SessionWorkflow::session_started(SessionDetails details) {
  const EventScope scope(event_depth_);
  if (sessions_.count(details.session_id) != 0) {
    log(LogLevel::warning, "event=session_started outcome=ignored reason=duplicate_start session=" +
                               sessions_[details.session_id].tag);
    return;
  }
  SessionState& session = sessions_[details.session_id];
  session.tag = "s" + std::to_string(++sessions_seen_);
  session.collects_measures = collected_medium(details.medium, configuration_.selection);
  std::vector<Participant> participants = std::move(details.participants);
  session.details = std::move(details);
  const std::string session_date = session.details.start_time.empty() ? now_() : session.details.start_time;
  log(LogLevel::info, "event=session_started session=" + session.tag + " participants=" +
                          std::to_string(participants.size()) + " medium=" + medium_name(session.details.medium) +
                          " collects_measures=" + (session.collects_measures ? "yes" : "no"));
  std::vector<std::string> order;
  for (Participant& participant : participants) {
    ParticipantState state;
    state.age_years = effective_age(participant, session_date);
    state.details = std::move(participant);
    order.push_back(state.details.participant_id);
    ParticipantState& added = session.participants.emplace(order.back(), std::move(state)).first->second;
    fetch_server_history(session, added);
  }
  // Everyone is known before anyone is admitted: an other rater listed before the
  // client they rate must still find them.
  for (const std::string& id : order) admit(session, session.participants.at(id));
}

void SessionWorkflow::fetch_server_history(SessionState& session, const ParticipantState& participant) {
  const std::string& patient = participant.details.fhir_reference;
  if (server_history_ == nullptr || !session.collects_measures || participant.details.role != ParticipantRole::client ||
      patient.rfind("Patient/", 0) != 0 || session.server_points.count(patient) != 0) {
    return;
  }
  const std::string session_id = session.details.session_id;
  server_history_->fetch(patient, [this, session_id, patient](std::optional<std::vector<fhir::HistoryPoint>> points) {
    const auto found = sessions_.find(session_id);
    if (found == sessions_.end() || !points) return;  // ServerHistory logged why
    found->second.server_points[patient] = std::move(*points);
  });
}

AgeBand SessionWorkflow::band_of(const ParticipantState& participant) const {
  return age_band_for(participant.age_years, configuration_.scoring);
}

const SessionWorkflow::ParticipantState* SessionWorkflow::reader_for(const SessionState& session) const {
  for (const auto& [id, participant] : session.participants) {
    if (participant.details.role == ParticipantRole::clinician && participant.present) return &participant;
  }
  return nullptr;
}

void SessionWorkflow::admit(SessionState& session, ParticipantState& participant) {
  if (!session.collects_measures) return;
  // Given aloud, a client's or rater's form needs a therapist to read it: without one
  // yet, they are admitted again when a therapist joins.
  const ParticipantState* reader = nullptr;
  if (session.given_aloud() && participant.details.role != ParticipantRole::clinician && !participant.outcome_offered) {
    reader = reader_for(session);
    if (reader == nullptr) {
      log(LogLevel::info, "event=measure_waiting session=" + session.tag + " reason=no_therapist_to_read_aloud");
      return;
    }
  }
  switch (participant.details.role) {
    case ParticipantRole::client:
      if (!participant.outcome_offered) {
        participant.outcome_offered = true;
        const std::string code = outcome_measure_for(band_of(participant), configuration_.selection);
        if (code.empty()) {
          log(LogLevel::info, "event=measure_skipped session=" + session.tag + " reason=switched_off");
          return;
        }
        open_measure_panel(session, participant, code, {}, reader);
      }
      break;
    case ParticipantRole::clinician:
      if (!participant.clinician_panel_offered) open_clinician_panel(session, participant);
      if (session.given_aloud()) {
        // The forms that waited for a therapist to read them (clients first, so that a
        // rater finds the client they rate).
        for (const ParticipantRole role : {ParticipantRole::client, ParticipantRole::other_rater}) {
          for (auto& [id, other] : session.participants) {
            if (other.details.role == role && other.present && !other.outcome_offered) admit(session, other);
          }
        }
      }
      break;
    case ParticipantRole::other_rater: {
      if (participant.outcome_offered) break;
      const std::string code = other_rater_measure_for(configuration_.selection);
      const ParticipantState* client = rated_client(session, participant);
      if (code.empty() || client == nullptr) {
        // Without a client to rate yet, the rater is admitted again when a client joins.
        if (code.empty()) participant.outcome_offered = true;
        log(LogLevel::info, "event=measure_skipped session=" + session.tag + " role=other_rater reason=" +
                                (code.empty() ? "switched_off" : "no_single_client_to_rate"));
        break;
      }
      participant.outcome_offered = true;
      open_measure_panel(session, participant, code, client->details.participant_id, reader);
      break;
    }
  }
}

const SessionWorkflow::ParticipantState* SessionWorkflow::rated_client(const SessionState& session,
                                                                       const ParticipantState& rater) const {
  if (!rater.details.rates_participant_id.empty()) {
    const auto named = session.participants.find(rater.details.rates_participant_id);
    if (named == session.participants.end() || named->second.details.role != ParticipantRole::client) return nullptr;
    return &named->second;
  }
  const ParticipantState* only = nullptr;
  for (const auto& [id, participant] : session.participants) {
    if (participant.details.role != ParticipantRole::client) continue;
    if (only != nullptr) return nullptr;  // several clients: the host must say which
    only = &participant;
  }
  return only;
}

void SessionWorkflow::open_measure_panel(SessionState& session, ParticipantState& participant, const std::string& code,
                                         const std::string& rated, const ParticipantState* reader) {
  const MeasureDefinition* found_measure = measures_.find(code, participant.details.preferred_language);
  if (found_measure == nullptr) {
    // The loader refuses to start without every enabled measure; this is a safeguard.
    log(LogLevel::error, "event=measure_skipped session=" + session.tag + " measure=" + code + " reason=not_installed");
    return;
  }
  const MeasureDefinition& measure = *found_measure;
  if (measure.kind == MeasureKind::session_rating_scale) participant.session_rating_offered = true;
  const std::string session_id = session.details.session_id;
  const std::string participant_id = participant.details.participant_id;
  const std::string reader_id = reader == nullptr ? std::string() : reader->details.participant_id;
  std::string title = measure.title;
  std::string rated_name;
  if (!rated.empty()) {
    const auto client = session.participants.find(rated);
    rated_name = client == session.participants.end() ? std::string() : client->second.details.display_name;
  }
  std::string html;
  // Rendered before the count is raised: a page that cannot be built (it once threw on a
  // name that was not UTF-8) must not keep the session open for an answer that never comes.
  if (reader != nullptr) {
    // On the therapist's screen, titled in the therapist's words; an other rater's form
    // says whom it is about, as on the rater's own screen.
    const std::string answering = participant.details.display_name;
    title = read_aloud_title(rated.empty() ? measure.title : rater_title(measure.title, rated_name, "en"), answering);
    html = render_verbal_panel(measure, title, answering);  // escaped by the renderer and the host
  } else {
    if (!rated.empty()) title = rater_title(measure.title, rated_name, measure.language);  // escaped likewise
    MeasureDefinition shown = measure;
    shown.title = title;
    html = render_measure_panel(shown);
  }
  OpenPanelCount counted(session.open_panels);  // kept until the answer, unless the request throws
  host_.open_panel(session_id, reader_id.empty() ? participant_id : reader_id, title, std::move(html),
                   [this, session_id, participant_id, found_measure, rated, reader_id](thp_status status,
                                                                                      thp_panel_id panel) {
                     if (status != THP_OK || panel == 0) {
                       panel_open_failed(session_id, "measure=" + found_measure->code, status);
                       return;
                     }
                     const auto found = sessions_.find(session_id);
                     PanelBinding binding{session_id, participant_id, PanelPurpose::measure, found_measure, rated};
                     binding.reader_participant_id = reader_id;
                     panels_[panel] = std::move(binding);
                     if (found != sessions_.end()) {
                       log(LogLevel::info, "event=panel_opened session=" + found->second.tag + " measure=" +
                                               found_measure->code + " language=" + found_measure->language +
                                               (rated.empty() ? "" : " rater=other") +
                                               (reader_id.empty() ? "" : " given=aloud") + " panel=" +
                                               std::to_string(panel));
                     }
                   });
  counted.keep();
}

void SessionWorkflow::open_clinician_panel(SessionState& session, ParticipantState& participant) {
  participant.clinician_panel_offered = true;
  const std::string session_id = session.details.session_id;
  const std::string participant_id = participant.details.participant_id;
  std::string html = render_clinician_panel("Alliance: client feedback");
  OpenPanelCount counted(session.open_panels);
  host_.open_panel(session_id, participant_id, "Alliance: client feedback", std::move(html),
                   [this, session_id, participant_id](thp_status status, thp_panel_id panel) {
                     if (status != THP_OK || panel == 0) {
                       panel_open_failed(session_id, "panel_kind=clinician", status);
                       return;
                     }
                     const auto found = sessions_.find(session_id);
                     panels_[panel] = PanelBinding{session_id, participant_id, PanelPurpose::clinician, nullptr};
                     if (found == sessions_.end()) return;
                     found->second.clinician_panels.push_back(panel);
                     // A therapist who joins late still sees what was already answered.
                     for (const std::string& result : found->second.results) host_.post_to_panel(panel, result);
                     post_sharing_states(found->second, panel);
                     log(LogLevel::info, "event=panel_opened session=" + found->second.tag +
                                             " panel_kind=clinician panel=" + std::to_string(panel));
                   });
  counted.keep();
}

void SessionWorkflow::panel_open_failed(const std::string& session_id, const std::string& what, thp_status status) {
  log(LogLevel::warning, "event=panel_open_failed " + what + " status=" + std::to_string(status));
  const auto found = sessions_.find(session_id);
  if (found != sessions_.end()) --found->second.open_panels;
  // Inside an event handler the handler sweeps; an answer that came later sweeps here.
  if (event_depth_ == 0) forget_if_finished(session_id);
}

void SessionWorkflow::session_ended(const std::string& session_id) {
  const EventScope scope(event_depth_);
  SessionState* session = find_session(session_id, "session_ended");
  if (session == nullptr) return;
  if (session->ended) {
    log(LogLevel::warning, "event=session_ended outcome=ignored reason=duplicate_end session=" + session->tag);
    return;
  }
  session->ended = true;
  stop_sharing_all(*session, "session_ended");  // before the SRS opens in its place
  int offered = 0;
  int absent = 0;
  if (session->collects_measures) {
    for (auto& [id, participant] : session->participants) {
      if (participant.details.role != ParticipantRole::client) continue;
      if (!participant.present) {
        ++absent;  // left before the end: no SRS to ask for
        continue;
      }
      if (!participant.session_rating_offered) {
        participant.session_rating_offered = true;
        const std::string code = session_rating_measure_for(band_of(participant), session->details.appointment_kind,
                                                            configuration_.selection);
        if (code.empty()) {
          log(LogLevel::info, "event=measure_skipped session=" + session->tag + " reason=switched_off");
          continue;
        }
        const ParticipantState* reader = session->given_aloud() ? reader_for(*session) : nullptr;
        if (session->given_aloud() && reader == nullptr) {
          // Nobody is left to read it aloud: the SRS is not asked for (nothing to record).
          log(LogLevel::info, "event=measure_skipped session=" + session->tag + " reason=no_therapist_to_read_aloud");
          continue;
        }
        open_measure_panel(*session, participant, code, {}, reader);
        ++offered;
      }
    }
  }
  log(LogLevel::info, "event=session_ended session=" + session->tag + " srs_offered=" + std::to_string(offered) +
                          " clients_already_left=" + std::to_string(absent));
  forget_if_finished(session_id);
}

void SessionWorkflow::participant_joined(const std::string& session_id, Participant participant) {
  const EventScope scope(event_depth_);
  SessionState* session = find_session(session_id, "participant_joined");
  if (session == nullptr) return;
  const auto existing = session->participants.find(participant.participant_id);
  if (existing != session->participants.end()) {
    if (existing->second.present) {
      log(LogLevel::warning, "event=participant_joined outcome=ignored reason=already_present session=" +
                                 session->tag);
      return;
    }
    existing->second.present = true;  // back after a dropped connection
    log(LogLevel::info, "event=participant_rejoined session=" + session->tag);
    if (!session->ended) admit(*session, existing->second);
    return;
  }
  ParticipantState state;
  state.age_years = effective_age(participant, session->details.start_time.empty() ? now_() : session->details.start_time);
  state.details = std::move(participant);
  const std::string id = state.details.participant_id;
  ParticipantState& added = session->participants.emplace(id, std::move(state)).first->second;
  log(LogLevel::info, "event=participant_joined session=" + session->tag);
  fetch_server_history(*session, added);
  // Someone who arrives after the call has ended gets nothing new to fill in.
  if (session->ended) return;
  admit(*session, added);
  if (added.details.role != ParticipantRole::client) return;
  // A parent who joined before the child they rate gets their form now.
  for (auto& [other_id, other] : session->participants) {
    if (other.details.role == ParticipantRole::other_rater && other.present && !other.outcome_offered) {
      admit(*session, other);
    }
  }
}

void SessionWorkflow::participant_left(const std::string& session_id, const std::string& participant_id) {
  const EventScope scope(event_depth_);
  SessionState* session = find_session(session_id, "participant_left");
  if (session == nullptr) return;
  const auto participant = session->participants.find(participant_id);
  if (participant == session->participants.end() || !participant->second.present) {
    log(LogLevel::warning, "event=participant_left outcome=ignored reason=unknown_participant session=" +
                               session->tag);
    return;
  }
  participant->second.present = false;
  log(LogLevel::info, "event=participant_left session=" + session->tag);
}

void SessionWorkflow::panel_message(thp_panel_id panel, const std::string& text, size_t received_bytes) {
  const EventScope scope(event_depth_);
  const auto binding = panels_.find(panel);
  if (binding == panels_.end()) {
    if (repeat_worth_logging(++ignored_panel_messages_)) {
      log(LogLevel::warning, "event=panel_message outcome=ignored reason=unknown_or_closed_panel panel=" +
                                 std::to_string(panel) + " ignored_so_far=" + std::to_string(ignored_panel_messages_));
    }
    return;
  }
  if (binding->second.purpose != PanelPurpose::measure) {
    return sharing_panel_message(panel, binding->second, text, received_bytes);  // shared_graph.cpp
  }
  const auto session = sessions_.find(binding->second.session_id);
  if (session == sessions_.end()) return;
  const auto participant = session->second.participants.find(binding->second.participant_id);
  if (participant == session->second.participants.end()) return;
  const MeasureDefinition& measure = *binding->second.measure;
  const char* code = measure.code.c_str();

  if (binding->second.saved) {
    // A repeated click or a retried message: the first answer stands.
    host_.post_to_panel(panel, json({{"type", "saved"}, {"measure", code}, {"duplicate", true}}).dump());
    return;
  }
  if (binding->second.saving) {
    // The first answer waits for the store; "saved" follows when it is durable.
    log(LogLevel::info, "event=submission_waiting session=" + session->second.tag + " measure=" + code);
    return;
  }
  const PanelMessage parsed =
      received_bytes > kMaximumPanelMessageBytes
          ? PanelMessage(InvalidMessage{{{"", "The message is too large (" + std::to_string(received_bytes) +
                                                  " bytes; at most " + std::to_string(kMaximumPanelMessageBytes) +
                                                  ")."}}})
          : parse_panel_message(text, measure);
  if (const auto* invalid = std::get_if<InvalidMessage>(&parsed)) {
    const long long refused = ++binding->second.refused_messages;
    if (repeat_worth_logging(refused)) {
      log(LogLevel::info, "event=submission_refused session=" + session->second.tag + " measure=" + code +
                              " problems=" + std::to_string(invalid->problems.size()) +
                              " refused_so_far=" + std::to_string(refused));
    }
    host_.post_to_panel(panel, problems_message(*invalid).dump());
    return;
  }
  if (const auto* declined = std::get_if<DeclinedMeasure>(&parsed)) {
    log(LogLevel::info, "event=measure_declined session=" + session->second.tag + " measure=" + code);
    host_.post_to_panel(panel, json({{"type", "declined"}, {"measure", code}}).dump());
    if (!binding->second.declined) {
      binding->second.declined = true;
      std::string reason = "declined";
      if (!declined->reason.empty()) reason.append(": ").append(declined->reason);  // bounded by the parser
      not_completed(binding->second, session->second, reason);
    }
    return;
  }
  submit(panel, binding->second, session->second, participant->second,
         std::get<SubmittedAnswers>(parsed).item_scores);
}

Administration SessionWorkflow::administration_for(const PanelBinding& binding, const SessionState& session,
                                                  const MeasureDefinition& measure) const {
  const ParticipantState& participant = session.participants.at(binding.participant_id);
  Administration administration;
  administration.administration_id = new_uuid();
  administration.session_id = session.details.session_id;
  administration.participant_id = participant.details.participant_id;
  administration.practitioner_reference = practitioner_reference(session);
  administration.encounter_reference = session.details.encounter_reference;
  administration.questionnaire = measure.canonical();
  administration.measure_code = measure.code;
  administration.language = measure.language;
  administration.authored_at = now_();
  if (!binding.reader_participant_id.empty()) {
    // Read aloud and entered by the therapist: the chart says so, and who entered it.
    administration.completion_mode = "VERBAL";
    const auto reader = session.participants.find(binding.reader_participant_id);
    if (reader != session.participants.end()) administration.entered_by_reference = reader->second.details.fhir_reference;
  }
  for (const MeasureItem& item : measure.items) administration.item_link_ids.push_back(item.link_id);
  const auto rated = binding.rated_participant_id.empty() ? session.participants.end()
                                                           : session.participants.find(binding.rated_participant_id);
  if (rated != session.participants.end()) {
    // An other rater's form is about the client: their chart, their age band.
    administration.other_rater = true;
    administration.client_key = rater_key_for(rated->second.details, participant.details);
    administration.patient_reference = rated->second.details.fhir_reference;
    administration.rater_reference = participant.details.fhir_reference;
    administration.relationship = participant.details.relationship;
    administration.age_years = rated->second.age_years;
  } else {
    administration.client_key = client_key_for(participant.details);
    administration.patient_reference = participant.details.fhir_reference;
    administration.age_years = participant.age_years;
  }
  return administration;
}

void SessionWorkflow::submit(thp_panel_id panel, PanelBinding& binding, SessionState& session,
                             ParticipantState& participant, const std::vector<Tenths>& item_scores) {
  const MeasureDefinition& measure = *binding.measure;
  const char* code = measure.code.c_str();
  Administration administration;
  try {
    administration = administration_for(binding, session, measure);
    MeasureHistory history = store_.history(administration.client_key, measure.code, session.details.session_id);
    const auto server = session.server_points.find(administration.patient_reference);
    if (!administration.other_rater && server != session.server_points.end()) {
      history = merge_history(history, server->second, measure.code, own_identifier_system_,
                                    administration.authored_at);
    }
    administration.scored =
        score_measure(measure, item_scores, administration.age_years, history, configuration_.scoring);
  } catch (const std::exception& error) {
    return save_failed(panel, session.tag, code, error);
  }
  try {
    // Committed to disk before the client hears "saved".
    if (store_.save(administration) == SaveOutcome::already_saved) {
      log(LogLevel::warning, "event=submission_duplicate session=" + session.tag + " measure=" + code);
    }
  } catch (const StoreBusy& error) {
    if (!retry_later_) return save_failed(panel, session.tag, code, error);
    // Another process holds the store: the scored answers wait here, in memory, and
    // are saved as soon as it lets go; then (not before) "saved" and the result.
    binding.saving = true;
    log(LogLevel::warning, "event=save_waiting session=" + session.tag + " measure=" + code + " reason=store_busy");
    pending_saves_.push_back(PendingSave{panel, binding, std::move(administration)});
    schedule_waiting_saves();
    return;
  } catch (const std::exception& error) {
    return save_failed(panel, session.tag, code, error);
  }
  submission_saved(panel, binding, session, participant, administration);
}

void SessionWorkflow::save_failed(thp_panel_id panel, const std::string& session_tag, const char* code,
                                  const std::exception& error) {
  // The reason may name the database file but never the client or the answers.
  log(LogLevel::error, "event=save_failed session=" + session_tag + " measure=" + code + " reason=" +
                           log_value(error.what()));
  host_.post_to_panel(panel, json({{"type", "error"},
                                   {"measure", code},
                                   {"message", "Your answers could not be saved. Please try again, or tell "
                                               "your therapist."}})
                                 .dump());
}

void SessionWorkflow::submission_saved(thp_panel_id panel, PanelBinding& binding, SessionState& session,
                                       const ParticipantState& participant, const Administration& administration) {
  const MeasureDefinition& measure = *binding.measure;
  const char* code = measure.code.c_str();
  binding.saved = true;
  binding.saving = false;
  ++session.measures_completed;
  log(LogLevel::info, "event=measure_saved session=" + session.tag + " measure=" + code + " flags=" +
                          std::to_string(administration.scored.flags.size()));
  host_.post_to_panel(panel, json({{"type", "saved"}, {"measure", code}}).dump());
  if (on_saved_) on_saved_();
  tell_therapists(session, result_message(participant, binding, session, measure, administration.scored,
                                          !administration.client_key.empty()));
  // Without a stable identity there is no trajectory to draw; the result says why.
  if (!administration.other_rater && !administration.client_key.empty()) {
    try {
      tell_therapists(session, trend_message(session, participant, administration.client_key));
    } catch (const std::exception& error) {
      log(LogLevel::warning, "event=trend_unavailable session=" + session.tag + " reason=" + log_value(error.what()));
    }
  }
}

void SessionWorkflow::schedule_waiting_saves() {
  if (save_retry_scheduled_ || pending_saves_.empty() || !retry_later_) return;
  save_retry_scheduled_ = true;
  // Each try may wait up to the store's busy timeout itself; half a second between.
  retry_later_(std::chrono::milliseconds(500), [this] { retry_waiting_saves(); });
}

void SessionWorkflow::retry_waiting_saves() {
  save_retry_scheduled_ = false;
  while (!pending_saves_.empty()) {
    PendingSave& next = pending_saves_.front();
    const char* code = next.binding.measure->code.c_str();
    const auto session = sessions_.find(next.binding.session_id);
    const std::string tag = session == sessions_.end() ? "-" : session->second.tag;
    bool durable = false;
    try {
      // The submission key makes this idempotent: a save that did commit before its
      // error was reported is not written twice.
      if (store_.save(next.administration) == SaveOutcome::already_saved) {
        log(LogLevel::warning, "event=submission_duplicate session=" + tag + " measure=" + code);
      }
      durable = true;
    } catch (const StoreBusy&) {
      log(LogLevel::debug, "event=save_waiting session=" + tag + " measure=" + code + " reason=store_busy");
      schedule_waiting_saves();
      return;
    } catch (const std::exception& error) {
      // Not the lock: answered like a save that failed at once (the client may try again).
      const auto binding = panels_.find(next.panel);
      if (binding != panels_.end()) binding->second.saving = false;
      save_failed(next.panel, tag, code, error);
    }
    PendingSave done = std::move(next);
    pending_saves_.erase(pending_saves_.begin());
    if (!durable) continue;
    try {
      waiting_save_done(done);
    } catch (const std::exception& error) {
      // It is durable and will be delivered; only telling the panels failed.
      log(LogLevel::error, "event=measure_saved_notice_failed session=" + tag + " measure=" + code + " reason=" +
                               log_value(error.what()));
    }
  }
}

void SessionWorkflow::waiting_save_done(PendingSave& saved) {
  const std::string session_id = saved.binding.session_id;
  const auto session = sessions_.find(session_id);
  if (session == sessions_.end() || session->second.participants.count(saved.binding.participant_id) == 0) {
    // The session is over and forgotten: nobody is left to tell; delivery goes on.
    log(LogLevel::info, "event=measure_saved session=- measure=" + saved.binding.measure->code + " told=no");
    if (on_saved_) on_saved_();
    return;
  }
  const auto binding = panels_.find(saved.panel);
  PanelBinding& current = binding != panels_.end() ? binding->second : saved.binding;
  submission_saved(saved.panel, current, session->second, session->second.participants.at(saved.binding.participant_id),
                   saved.administration);
  forget_if_finished(session_id);
}

void SessionWorkflow::save_waiting_at_shutdown() {
  if (pending_saves_.empty()) return;
  retry_waiting_saves();
  for (const PendingSave& lost : pending_saves_) {
    log(LogLevel::error, "event=save_lost measure=" + lost.binding.measure->code + " reason=store_busy_at_shutdown");
  }
}

std::string SessionWorkflow::trend_message(const SessionState& session, const ParticipantState& participant,
                                          const std::string& client_key) const {
  // The newest 52 scores of each family are plenty for a graph read at a glance.
  constexpr size_t kMaximumPoints = 52;
  struct Point {
    std::string at;
    Tenths total = 0;
    int session_number = 1;
    std::string measure;
    bool elsewhere = false;  // another site's score, read from the server
  };
  std::vector<Point> outcome_series;
  std::vector<Point> session_series;
  std::optional<Tenths> outcome_cutoff;
  std::string outcome_measure = "ORS";
  std::string session_measure = "SRS";
  for (const TrendPoint& point : store_.trend(client_key)) {
    Point entry{point.authored_at, point.total, point.session_number, point.measure, false};
    if (family_of(point.measure) == MeasureKind::outcome_rating_scale) {
      outcome_cutoff = point.cutoff;  // the latest: the client's current age band
      outcome_measure = point.measure;
      outcome_series.push_back(std::move(entry));
    } else {
      session_measure = point.measure;
      session_series.push_back(std::move(entry));
    }
  }
  // Other sites' scores (own ones are in the store already) join by date, and each
  // series is numbered again in that order, as scoring counted them.
  if (const auto server = session.server_points.find(participant.details.fhir_reference);
      server != session.server_points.end()) {
    bool added[2] = {false, false};
    for (const fhir::HistoryPoint& point : server->second) {
      if (point.identifier_system == own_identifier_system_) continue;
      const bool outcome = family_of(point.measure_code) == MeasureKind::outcome_rating_scale;
      (outcome ? outcome_series : session_series)
          .push_back(Point{point.effective_at, point.total_tenths, 1, point.measure_code, true});
      added[outcome ? 0 : 1] = true;
    }
    for (int family = 0; family < 2; ++family) {
      if (!added[family]) continue;
      std::vector<Point>& series = family == 0 ? outcome_series : session_series;
      std::stable_sort(series.begin(), series.end(), [](const Point& a, const Point& b) { return a.at < b.at; });
      for (size_t index = 0; index < series.size(); ++index) series[index].session_number = static_cast<int>(index) + 1;
    }
  }
  // The first ORS, wherever it was taken, as scoring takes it.
  const json intake_total =
      outcome_series.empty() ? json(nullptr) : json(tenths_to_points(outcome_series.front().total));
  const auto as_json = [](const std::vector<Point>& series) {
    json points = json::array();
    for (const Point& point : series) {
      json entry = {{"session_number", point.session_number},
                    {"date", point.at.substr(0, 10)},
                    {"total", tenths_to_points(point.total)},
                    {"measure", point.measure}};
      if (point.elsewhere) entry["elsewhere"] = true;
      points.push_back(std::move(entry));
    }
    return points;
  };
  json outcome_points = as_json(outcome_series);
  json session_points = as_json(session_series);
  const auto newest = [](json& points) {
    if (points.size() > kMaximumPoints) points.erase(points.begin(), points.end() - kMaximumPoints);
    return points;
  };
  const auto points_or_null = [](const std::optional<Tenths>& value) {
    return value ? json(tenths_to_points(*value)) : json(nullptr);
  };
  const std::string client =
      participant.details.display_name.empty() ? std::string("Client") : participant.details.display_name;
  json outcome = {{"family", "ORS"},
                  {"measure", outcome_measure},
                  {"cutoff", points_or_null(outcome_cutoff)},
                  {"reliable_change", tenths_to_points(configuration_.scoring.reliable_change)},
                  {"intake_total", intake_total},
                  {"points", newest(outcome_points)}};
  json session_rating = {{"family", "SRS"},
                         {"measure", session_measure},
                         {"cutoff", tenths_to_points(configuration_.scoring.alliance_cutoff)},
                         {"points", newest(session_points)}};
  return json({{"type", "trend"},
               {"participant_id", participant.details.participant_id},
               {"client", client},
               // Whether "Show to client" may be offered (shared_graph.cpp decides again when asked).
               {"shareable", cannot_share(session, participant) == nullptr},
               {"series", json::array({outcome, session_rating})}})
      .dump();
}

void SessionWorkflow::not_completed(PanelBinding& binding, SessionState& session, const std::string& reason) {
  ++session.measures_not_completed;
  const MeasureDefinition& measure = *binding.measure;
  const auto participant = session.participants.find(binding.participant_id);
  const std::string reason_code = reason.substr(0, reason.find(':'));
  log(LogLevel::info, "event=measure_not_completed session=" + session.tag + " measure=" + measure.code +
                          " reason=" + reason_code);
  if (participant != session.participants.end()) {
    const std::string name =
        participant->second.details.display_name.empty() ? "Client" : participant->second.details.display_name;
    const bool declined = reason_code == "declined";
    tell_therapists(session, json({{"type", "not_completed"},
                                   {"participant_id", binding.participant_id},
                                   {"client", name},
                                   {"measure", measure.code},
                                   {"measure_title", measure.title},
                                   {"reason", reason_code},
                                   {"summary", name + (declined ? " chose not to fill in the " : " did not finish the ") +
                                                   measure.code + " this time."}})
                                 .dump());
  }
  if (!configuration_.selection.record_not_completed || participant == session.participants.end()) return;
  try {
    Administration administration = administration_for(binding, session, measure);
    administration.status = "stopped";
    administration.not_completed_reason = reason;
    administration.scored.kind = measure.kind;
    store_.save(administration);
    if (on_saved_) on_saved_();
  } catch (const std::exception& error) {
    log(LogLevel::error, "event=save_failed session=" + session.tag + " measure=" + measure.code +
                             " status=stopped reason=" + log_value(error.what()));
  }
}

void SessionWorkflow::tell_therapists(SessionState& session, const std::string& message) {
  session.results.push_back(message);
  for (thp_panel_id clinician_panel : session.clinician_panels) host_.post_to_panel(clinician_panel, message);
}

std::string SessionWorkflow::result_message(const ParticipantState& participant, const PanelBinding& binding,
                                            const SessionState& session, const MeasureDefinition& measure,
                                            const ScoredMeasure& scored, bool history_linked) const {
  json items = json::array();
  for (size_t index = 0; index < scored.item_scores.size() && index < measure.items.size(); ++index) {
    items.push_back({{"link_id", measure.items[index].link_id},
                     {"text", measure.items[index].short_name},
                     {"score", tenths_to_points(scored.item_scores[index])}});
  }
  json flags = json::array();
  for (const Flag& flag : scored.flags) {
    flags.push_back({{"code", to_string(flag.code)}, {"kind", flag_kind(flag.code)}, {"text", flag.text}});
  }
  std::string client =
      participant.details.display_name.empty() ? std::string("Client") : participant.details.display_name;
  std::string about_participant = participant.details.participant_id;
  if (!binding.rated_participant_id.empty()) {
    // "Dana's parent about Sam": the therapist must not mistake a rater's view for the client's.
    const auto rated = session.participants.find(binding.rated_participant_id);
    const std::string rated_name = rated == session.participants.end() || rated->second.details.display_name.empty()
                                       ? std::string("the client")
                                       : rated->second.details.display_name;
    client += " (rating " + rated_name + ")";
    about_participant = binding.rated_participant_id;
  }
  json message = {{"type", "result"},
                  {"participant_id", participant.details.participant_id},
                  {"about_participant_id", about_participant},
                  {"client", client},
                  {"measure", measure.code},
                  {"family", measure_code(measure.kind)},
                  {"measure_title", measure.title},
                  {"language", measure.language},
                  {"other_rater", !binding.rated_participant_id.empty()},
                  // "aloud": the therapist read it and entered the answers (an audio session).
                  {"given", binding.reader_participant_id.empty() ? "on_screen" : "aloud"},
                  {"total", tenths_to_points(scored.total)},
                  {"session_number", scored.session_number},
                  {"concern", scored.in_concern_range},
                  {"items", items},
                  {"flags", flags},
                  {"summary", client + ": " + scored.summary},
                  // "not_linked": the host gave no chart reference, so this score is not
                  // joined to any other session's (every session is session 1).
                  {"history", history_linked ? "linked" : "not_linked"}};
  message["cutoff"] = scored.cutoff ? json(tenths_to_points(*scored.cutoff)) : json(nullptr);
  message["change_since_intake"] =
      scored.change_since_intake ? json(tenths_to_points(*scored.change_since_intake)) : json(nullptr);
  message["change_since_previous"] =
      scored.change_since_previous ? json(tenths_to_points(*scored.change_since_previous)) : json(nullptr);
  message["outcome_category"] =
      scored.outcome_category ? json(outcome_category_words(*scored.outcome_category)) : json(nullptr);
  message["on_track"] = scored.on_track ? json(*scored.on_track) : json(nullptr);
  message["expected_total"] = scored.expected_total ? json(tenths_to_points(*scored.expected_total)) : json(nullptr);
  return message.dump();
}

void SessionWorkflow::panel_closed(thp_panel_id panel, thp_panel_close_reason reason) {
  const EventScope scope(event_depth_);
  const auto binding = panels_.find(panel);
  if (binding == panels_.end()) {
    log(LogLevel::warning, "event=panel_closed outcome=ignored reason=unknown_panel panel=" + std::to_string(panel));
    return;
  }
  const PanelBinding closed = binding->second;
  panels_.erase(binding);
  const auto session = sessions_.find(closed.session_id);
  if (session == sessions_.end()) return;
  --session->second.open_panels;
  auto& clinician_panels = session->second.clinician_panels;
  std::erase(clinician_panels, panel);
  if (closed.purpose == PanelPurpose::client_graph) shared_graph_closed(session->second, closed, reason);
  if (closed.purpose == PanelPurpose::measure && !closed.saved && !closed.saving && !closed.declined) {
    PanelBinding abandoned = closed;
    not_completed(abandoned, session->second, describe(reason));
  }
  forget_if_finished(closed.session_id);
}

void SessionWorkflow::forget_if_finished(const std::string& session_id) {
  const auto session = sessions_.find(session_id);
  if (session == sessions_.end() || !session->second.ended || session->second.open_panels > 0) return;
  // A submission waiting for a held store still has a result to show.
  for (const PendingSave& waiting : pending_saves_) {
    if (waiting.binding.session_id == session_id) return;
  }
  log(LogLevel::info, "event=session_finished session=" + session->second.tag + " measures_completed=" +
                          std::to_string(session->second.measures_completed) + " measures_not_completed=" +
                          std::to_string(session->second.measures_not_completed));
  sessions_.erase(session);
}

std::string SessionWorkflow::practitioner_reference(const SessionState& session) const {
  for (const auto& [id, participant] : session.participants) {
    if (participant.details.role == ParticipantRole::clinician && !participant.details.fhir_reference.empty()) {
      return participant.details.fhir_reference;
    }
  }
  return {};
}

}  // namespace alliance
