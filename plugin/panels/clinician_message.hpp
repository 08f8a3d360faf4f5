// Messages from the therapist's panel. The text comes from a web page and is untrusted:
// it is bounded, read strictly (json_reader.hpp: no NUL byte, no text after the object,
// no key given twice, bounded depth), validated with ordinary control flow, and a
// problem comes back in words the panel can show.
//
// Accepted shapes (the therapist shows a client their own graph, and stops):
//   {"type": "share_trend",  "participant_id": "<a client of the session>"}
//   {"type": "stop_sharing", "participant_id": "<a client of the session>"}
// Whether that participant may be shown anything is the session workflow's question
// (session/shared_graph.cpp); this only reads the message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "panels/panel_message.hpp"

namespace alliance {

// A request is well under 400 bytes; larger is refused before it is read.
constexpr std::size_t kMaximumClinicianMessageBytes = 2 * 1024;
// The message is one flat object: anything nested is refused at once.
constexpr int kMaximumClinicianMessageDepth = 1;
// As the ABI bounds a participant id (THP_MAXIMUM_IDENTIFIER_BYTES).
constexpr std::size_t kMaximumClinicianParticipantIdBytes = 256;

enum class ClinicianRequest { share_trend, stop_sharing };

struct ClinicianMessage {
  ClinicianRequest request = ClinicianRequest::share_trend;
  std::string participant_id;  // not empty, at most kMaximumClinicianParticipantIdBytes
};

// InvalidMessage (panel_message.hpp): at most one problem, with its field.
using ParsedClinicianMessage = std::variant<ClinicianMessage, InvalidMessage>;

ParsedClinicianMessage parse_clinician_message(std::string_view text);

const char* to_string(ClinicianRequest request);  // "share_trend", "stop_sharing"

}  // namespace alliance
