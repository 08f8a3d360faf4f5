// The history a score is compared against: the store's, combined with the points the
// FHIR server holds from other sites (fhir/mapping/observation_history.hpp reads them).
// A clinical rule, so it lives with scoring, not with the FHIR mapping.
#pragma once

#include <string>
#include <vector>

#include "mapping/observation_history.hpp"
#include "scoring/scoring.hpp"

namespace alliance {

// The store's history of one measure combined with the server's points.
//
// Accepted server points: of `measure_code` exactly, taken strictly before `before`
// (RFC 3339; empty means no bound, unreadable means none are accepted), and whose
// identifier system is not `own_identifier_system` (this plugin's results are already
// in the store; points without an identifier count as another site's). A point repeated
// with the same identifier (e.g. on two pages) counts once.
//
// Intake is the earliest of the store's intake and the accepted points, previous the
// latest of the store's previous and the accepted points (on equal times the store's
// wins). A store intake (or previous) without a readable time, from rows older than
// those times, is kept as it is: nothing says a server point came before (after) it.
//
// earlier_administrations and earlier_sessions each grow by the number of accepted
// points. For the sessions that is an approximation: a server point is taken as one
// session of its own, since another site's sessions cannot be told apart from here.
MeasureHistory merge_history(const MeasureHistory& local, const std::vector<fhir::HistoryPoint>& server,
                             const std::string& measure_code, const std::string& own_identifier_system,
                             const std::string& before);

}  // namespace alliance
