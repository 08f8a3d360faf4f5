// What happens in a session, on the plugin's worker thread: an outcome measure opens
// for each client (and other rater) when a session starts, a session rating measure
// for each client when it ends (sessions of the media in measures.media). In a video
// (or in-person) session the client answers on their own panel; in an audio session
// (a phone call) the form opens on the therapist's screen instead, to read aloud and
// enter what the client says, and is recorded as a verbal administration; answers are validated, scored, stored,
// confirmed to the client and shown to the therapist. Which measure (ORS, CORS, YCORS,
// SRS, CSRS, GSRS, CGSRS) and in which language is chosen per participant
// (measure_selection.hpp). A measure that is declined or abandoned is counted, shown
// to the therapist and, by configuration, recorded as a stopped QuestionnaireResponse.
//
// Every method runs on the worker thread only, so the state needs no locks. Events
// that make no sense (an end before a start, a duplicate start, an unknown session,
// a message for a closed panel) are logged and ignored.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "configuration/configuration.hpp"
#include "abi/host_gateway.hpp"
#include "measures/measure_library.hpp"
#include "mapping/observation_history.hpp"
#include "delivery/server_history.hpp"
#include "session/session_details.hpp"
#include "session/shared_graph.hpp"
#include "store/store.hpp"

namespace alliance {

class SessionWorkflow {
 public:
  // Runs work on the worker thread after a delay (Worker::post_after).
  using RetryLater = std::function<void(std::chrono::milliseconds, std::function<void()>)>;

  // `now` gives the current time as RFC 3339 UTC (a parameter so tests can fix it);
  // `on_saved` runs after each administration is committed (delivery starts then).
  // `retry_later`: a submission that finds the store held by another process
  // (StoreBusy) is kept here, in memory, and saved again after a while until it is
  // durable; only then do the client ("saved") and the therapist (the result) hear of
  // it. Without it, such a submission is answered as not saved.
  SessionWorkflow(const Configuration& configuration, const MeasureLibrary& measures, Store& store,
                  HostGateway& host, std::function<std::string()> now, std::function<void()> on_saved = {},
                  RetryLater retry_later = {});

  // Submissions still waiting for a held store (see above).
  size_t waiting_saves() const { return pending_saves_.size(); }
  // Tries to save them now (at shutdown, the last chance): what is still held is logged
  // as lost.
  void save_waiting_at_shutdown();

  void session_started(SessionDetails session);
  void session_ended(const std::string& session_id);
  void participant_joined(const std::string& session_id, Participant participant);
  void participant_left(const std::string& session_id, const std::string& participant_id);
  // `received_bytes` is the size the page sent; `text` is empty when that was too large to copy.
  void panel_message(thp_panel_id panel, const std::string& text, size_t received_bytes);
  void panel_closed(thp_panel_id panel, thp_panel_close_reason reason);

  size_t open_session_count() const { return sessions_.size(); }

  // With fhir.read_history: at session start each client's earlier totals are read
  // from the server, and merged with the store's when scoring (points carrying
  // `own_identifier_system` are this plugin's own, already in the store). Scoring never
  // waits for the server: what has not arrived by then is not used.
  void use_server_history(ServerHistory* history, std::string own_identifier_system) {
    server_history_ = history;
    own_identifier_system_ = std::move(own_identifier_system);
  }

 private:
  enum class PanelPurpose { measure, clinician, client_graph };

  struct PanelBinding {
    std::string session_id;
    std::string participant_id;
    PanelPurpose purpose = PanelPurpose::measure;
    const MeasureDefinition* measure = nullptr;  // lives in the MeasureLibrary
    std::string rated_participant_id{};  // an other rater's form: the client it is about
    // A form given aloud: the therapist whose screen it is on, who reads the items and
    // enters the answers of `participant_id` (the client or rater who answers).
    std::string reader_participant_id{};
    bool saved = false;
    bool saving = false;    // submitted, waiting for a held store (pending_saves_)
    bool declined = false;  // counted as not completed already
    long long refused_messages = 0;  // messages refused or ignored from this panel: bounds their log lines
  };

  // A scored submission the store could not take yet (StoreBusy).
  struct PendingSave {
    thp_panel_id panel = 0;
    PanelBinding binding;  // a copy: the panel may close meanwhile
    Administration administration;
  };

  struct ParticipantState {
    Participant details;
    bool present = true;
    int age_years = -1;
    bool outcome_offered = false;
    bool session_rating_offered = false;
    bool clinician_panel_offered = false;
    SharedGraph graph;  // their own graph, shown by the therapist (shared_graph.cpp)
  };

  struct SessionState {
    SessionDetails details;  // participants live in `participants` below
    std::string tag;         // opaque name for logs ("s3"): no host ids in logs
    bool ended = false;
    bool collects_measures = true;  // the session's medium is in measures.media
    std::map<std::string, ParticipantState> participants;
    std::vector<thp_panel_id> clinician_panels;
    std::vector<std::string> results;  // result messages, replayed to a late therapist
    int open_panels = 0;
    // Earlier totals from the server, by Patient reference (fhir.read_history).
    std::map<std::string, std::vector<fhir::HistoryPoint>> server_points;
    int measures_completed = 0;
    int measures_not_completed = 0;  // declined or abandoned
    // An audio session: the therapist reads the forms aloud.
    bool given_aloud() const { return details.medium == SessionMedium::audio; }
  };

  void admit(SessionState& session, ParticipantState& participant);
  // Opens `code` for `participant` in their language; `rated` is the client an other
  // rater's form is about (empty for a client's own form). With a `reader`, the form
  // opens on the reader's (a therapist's) screen to be given aloud.
  void open_measure_panel(SessionState& session, ParticipantState& participant, const std::string& code,
                          const std::string& rated = {}, const ParticipantState* reader = nullptr);
  // Who reads the forms aloud in an audio session: a therapist who is present (the first
  // by participant id when there are several), or nobody yet.
  const ParticipantState* reader_for(const SessionState& session) const;
  // The client an other rater rates: the one named by the host, else the session's only
  // client. Nothing when that is unclear.
  const ParticipantState* rated_client(const SessionState& session, const ParticipantState& rater) const;
  AgeBand band_of(const ParticipantState& participant) const;
  // A measure that will not be completed: counted, told to the therapist, and recorded
  // as stopped when the configuration says so.
  void not_completed(PanelBinding& binding, SessionState& session, const std::string& reason);
  // The administration's who, where and what, shared by completed and stopped ones.
  Administration administration_for(const PanelBinding& binding, const SessionState& session,
                                    const MeasureDefinition& measure) const;
  void open_clinician_panel(SessionState& session, ParticipantState& participant);
  // The host refused a panel: the session no longer waits for it.
  void panel_open_failed(const std::string& session_id, const std::string& what, thp_status status);
  void submit(thp_panel_id panel, PanelBinding& binding, SessionState& session, ParticipantState& participant,
              const std::vector<Tenths>& item_scores);
  // After the durable write: the client hears "saved", the therapist gets the result.
  void submission_saved(thp_panel_id panel, PanelBinding& binding, SessionState& session,
                        const ParticipantState& participant, const Administration& administration);
  void save_failed(thp_panel_id panel, const std::string& session_tag, const char* code, const std::exception& error);
  void schedule_waiting_saves();
  void retry_waiting_saves();
  void waiting_save_done(PendingSave& saved);
  std::string result_message(const ParticipantState& participant, const PanelBinding& binding,
                             const SessionState& session, const MeasureDefinition& measure,
                             const ScoredMeasure& scored, bool history_linked) const;
  void tell_therapists(SessionState& session, const std::string& message);
  // The client's ORS and SRS trajectories from the store, for the therapist's graph.
  // The client's ORS and SRS series for the therapist's graph: the store's scores, and
  // (with fhir.read_history) other sites' scores read at session start, marked so.
  std::string trend_message(const SessionState& session, const ParticipantState& participant,
                            const std::string& client_key) const;
  // The client's own graph, shown by the therapist: shared_graph.cpp.
  void sharing_panel_message(thp_panel_id panel, PanelBinding& binding, const std::string& text,
                             size_t received_bytes);
  void share_trend(SessionState& session, const std::string& participant_id, long long& refused_messages);
  void stop_sharing(SessionState& session, ParticipantState& participant, const char* reason);
  void shared_graph_opened(const std::string& session_id, const std::string& participant_id, thp_status status,
                           thp_panel_id panel);
  void shared_graph_closed(SessionState& session, const PanelBinding& closed, thp_panel_close_reason reason);
  void stop_sharing_all(SessionState& session, const char* reason);
  void tell_sharing(const SessionState& session, const std::string& participant_id, const char* state,
                    const char* reason = nullptr);
  void post_sharing_states(const SessionState& session, thp_panel_id clinician_panel);
  // Why `participant` cannot be shown their graph now ("absent", "no_screen", ...), or nullptr.
  const char* cannot_share(const SessionState& session, const ParticipantState& participant) const;
  void forget_if_finished(const std::string& session_id);
  SessionState* find_session(const std::string& session_id, const char* event);
  std::string practitioner_reference(const SessionState& session) const;
  void log(LogLevel level, const std::string& message) const { host_.log(level, message); }

  const Configuration& configuration_;
  const MeasureLibrary& measures_;
  Store& store_;
  HostGateway& host_;
  std::function<std::string()> now_;
  std::function<void()> on_saved_;
  RetryLater retry_later_;
  std::vector<PendingSave> pending_saves_;  // oldest first
  bool save_retry_scheduled_ = false;
  std::unordered_map<std::string, SessionState> sessions_;
  std::unordered_map<thp_panel_id, PanelBinding> panels_;
  ServerHistory* server_history_ = nullptr;
  std::string own_identifier_system_;
  void fetch_server_history(SessionState& session, const ParticipantState& participant);
  int sessions_seen_ = 0;
  long long ignored_panel_messages_ = 0;  // messages for unknown or closed panels: bounds their log lines

  // Inside an event handler (> 0), panel-open answers may arrive synchronously, in
  // the middle of a loop over a session's participants: the session must not be
  // erased under that loop. The handlers sweep finished sessions themselves.
  int event_depth_ = 0;
  struct EventScope {
    explicit EventScope(int& depth) : depth_(depth) { ++depth_; }
    ~EventScope() { --depth_; }
    EventScope(const EventScope&) = delete;
    EventScope& operator=(const EventScope&) = delete;
    int& depth_;
  };
};

// Whose trajectory a client's scores join: their chart reference ("Patient/123"), the
// only identity the ABI makes stable across sessions. Empty when the host gave none:
// then the client has no history (nothing earlier is read, nothing is kept for later).
std::string client_key_for(const Participant& participant);

// The trajectory of one other rater's forms about a client: apart from the client's
// own, since a parent's view and a child's are different series. Empty when the client
// or the rater (no reference, no relationship) has no stable identity.
std::string rater_key_for(const Participant& client, const Participant& rater);

}  // namespace alliance
