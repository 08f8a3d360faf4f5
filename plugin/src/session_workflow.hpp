// What happens in a session, on the plugin's worker thread: the ORS opens for each
// client when a video session starts, the SRS when it ends; answers are validated,
// scored, stored, confirmed to the client and shown to the therapist.
//
// Every method runs on the worker thread only, so the state needs no locks. Events
// that make no sense (an end before a start, a duplicate start, an unknown session,
// a message for a closed panel) are logged and ignored.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "configuration.hpp"
#include "host_gateway.hpp"
#include "measure_library.hpp"
#include "session_details.hpp"
#include "store.hpp"

namespace alliance {

class SessionWorkflow {
 public:
  // `now` gives the current time as RFC 3339 UTC (a parameter so tests can fix it);
  // `on_saved` runs after each administration is committed (delivery starts then).
  SessionWorkflow(const Configuration& configuration, const MeasureLibrary& measures, Store& store,
                  HostGateway& host, std::function<std::string()> now, std::function<void()> on_saved = {});

  void session_started(SessionDetails session);
  void session_ended(const std::string& session_id);
  void participant_joined(const std::string& session_id, Participant participant);
  void participant_left(const std::string& session_id, const std::string& participant_id);
  // `received_bytes` is the size the page sent; `text` is empty when that was too large to copy.
  void panel_message(thp_panel_id panel, const std::string& text, size_t received_bytes);
  void panel_closed(thp_panel_id panel, thp_panel_close_reason reason);

  size_t open_session_count() const { return sessions_.size(); }

 private:
  enum class PanelPurpose { measure, clinician };

  struct PanelBinding {
    std::string session_id;
    std::string participant_id;
    PanelPurpose purpose = PanelPurpose::measure;
    MeasureKind measure = MeasureKind::outcome_rating_scale;
    bool saved = false;
  };

  struct ParticipantState {
    Participant details;
    bool present = true;
    int age_years = -1;
    bool outcome_offered = false;
    bool session_rating_offered = false;
    bool clinician_panel_offered = false;
  };

  struct SessionState {
    SessionDetails details;  // participants live in `participants` below
    std::string tag;         // opaque name for logs ("s3"): no host ids in logs
    bool ended = false;
    bool collects_measures = true;  // video sessions only
    std::map<std::string, ParticipantState> participants;
    std::vector<thp_panel_id> clinician_panels;
    std::vector<std::string> results;  // result messages, replayed to a late therapist
    int open_panels = 0;
  };

  void admit(SessionState& session, ParticipantState& participant);
  void open_measure_panel(SessionState& session, ParticipantState& participant, MeasureKind kind);
  void open_clinician_panel(SessionState& session, ParticipantState& participant);
  // The host refused a panel: the session no longer waits for it.
  void panel_open_failed(const std::string& session_id, const std::string& what, thp_status status);
  void submit(thp_panel_id panel, PanelBinding& binding, SessionState& session, ParticipantState& participant,
              const std::vector<Tenths>& item_scores);
  std::string result_message(const ParticipantState& participant, const MeasureDefinition& measure,
                             const ScoredMeasure& scored) const;
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
  std::unordered_map<std::string, SessionState> sessions_;
  std::unordered_map<thp_panel_id, PanelBinding> panels_;
  int sessions_seen_ = 0;

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

// "Patient/123" when the host gave one; otherwise the participant id, which keeps a
// trajectory only as long as the host reuses participant ids for the same client.
std::string client_key_for(const Participant& participant);

}  // namespace alliance
