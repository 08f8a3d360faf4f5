// Copying what the host tells the plugin out of the ABI's structs. They are borrowed
// for the duration of a hook; the hook copies them into session_details.hpp's values
// (after bounding and checking them) and hands the copies to the worker thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "session/session_details.hpp"
#include "telehealth/plugin_abi.h"

namespace alliance {

// Bounds on host data, as the ABI header states them (THP_MAXIMUM_*): far above real
// values, low enough that a broken host cannot make the plugin allocate without limit.
constexpr size_t kMaximumIdentifierBytes = THP_MAXIMUM_IDENTIFIER_BYTES;
constexpr size_t kMaximumTextBytes = THP_MAXIMUM_TEXT_BYTES;
constexpr size_t kMaximumParticipants = THP_MAXIMUM_PARTICIPANTS;

// What the header promises for each field: a required identifier (session_id,
// participant_id) that is empty, too long, not UTF-8 or holds a NUL makes the copy
// fail with `error`, as do a NULL or too small struct, an unknown enum value, too many
// participants or two with one id. Everything else is repaired (display_name) or
// dropped (optional fields) and one line per field is added to `adjustments`, naming
// the field and what was done, never its value: "field=birth_date action=dropped
// reason=not_yyyy_mm_dd". `error` never holds PHI either.
std::optional<std::string> copy_identifier(thp_str text, const char* what, std::string& error);
std::optional<Participant> copy_participant(const thp_participant* participant, std::string& error,
                                            std::vector<std::string>& adjustments);
std::optional<SessionDetails> copy_session(const thp_session* session, std::string& error,
                                           std::vector<std::string>& adjustments);
// The same, for callers that do not log adjustments (tests).
std::optional<Participant> copy_participant(const thp_participant* participant, std::string& error);
std::optional<SessionDetails> copy_session(const thp_session* session, std::string& error);

}  // namespace alliance
