// The client's own graph, shown to them by the therapist ("Show to client" on the
// therapist's card): a panel for that client only, with their ORS trend (and their SRS
// trend when the clinic says so: measures.share_srs_trend_with_client), the cutoff line
// and the band around their first score, in their language.
//
// The workflow's side of it (the therapist's share_trend and stop_sharing, the graph
// closed by the client or the host, the session's end) is SessionWorkflow's, in
// shared_graph.cpp; this header holds what that needs apart from the workflow: the
// state of one client's graph and the page's data, built by copying only what the page
// may show.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "session/session_details.hpp"
#include "telehealth/plugin_abi.h"

namespace alliance {

// One client's shared graph in a session: at most one at a time.
struct SharedGraph {
  thp_panel_id panel = 0;          // the open graph, or 0
  bool opening = false;            // asked of the host; no answer yet
  bool close_when_opened = false;  // stopped (the therapists were told) while it was opening
};

// What decides whether a participant can be shown their graph now.
struct ShareConditions {
  bool session_ended = false;
  bool is_client = false;
  bool present = false;
  SessionMedium medium = SessionMedium::video;
  bool collects_measures = false;
  bool has_chart = false;  // a chart reference: a trajectory, not only today's score
};

// Why not, as the "reason" the therapist's panel shows ("session_ended",
// "unknown_participant", "absent", "no_screen" for a phone client, "not_collected",
// "no_chart"), or nullptr when it may be shown.
const char* share_refusal(const ShareConditions& conditions);

// What the graph page needs and nothing more. `trend` is a trend message as the
// therapist's panel receives it (SessionWorkflow::trend_message): of it, only the
// points' session numbers, dates and totals and the intake total are copied (no names,
// no "elsewhere" marks, no rater's or other client's series: the trend holds none, and
// nothing else is taken from it). `outcome_measure` is the client's outcome measure now
// (CORS and YCORS get the simpler words), `cutoff` the cutoff of their age band now (none
// for the YCORS), `reliable_change` and `alliance_cutoff` in points.
// The SRS series goes in only with `include_session_rating`. Returns
//   {"language", "measure", "child",
//    "outcome": {"cutoff", "intake_total", "reliable_change", "points": [{"session_number", "date", "total"}]},
//    "session_rating": {"measure", "cutoff", "points": [...]}}   (only with include_session_rating)
nlohmann::json client_graph_data(const nlohmann::json& trend, const std::string& outcome_measure,
                                 std::optional<double> cutoff, double reliable_change, double alliance_cutoff,
                                 const std::string& language, bool include_session_rating);

// The graph panel's title, in the page's language ("Your scores so far").
std::string client_graph_title(const std::string& language);

}  // namespace alliance
