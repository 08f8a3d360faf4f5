// Messages from a client's measure panel. The text comes from a web page and is
// untrusted: it is bounded, read strictly (json_reader.hpp: no NUL byte, no text after
// the object, no key given twice, bounded depth), validated with ordinary control flow,
// and every problem comes back as a message the panel can show.
//
// Accepted shapes:
//   {"type": "submit",  "measure": "ORS", "answers": {"<linkId>": 6.4, ...}}
//   {"type": "decline", "measure": "ORS", "reason": "optional words"}
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "measures/measure_definition.hpp"
#include "measures/scores.hpp"

namespace alliance {

// Larger messages are refused before they are parsed (a submit is well under 1 KB).
constexpr std::size_t kMaximumPanelMessageBytes = 16 * 1024;
constexpr std::size_t kMaximumDeclineReasonBytes = 500;
// An invalid message gets at most this many problems back, whatever it holds (keys the
// form does not have count as one problem, however many there are).
constexpr std::size_t kMaximumReportedProblems = 8;
// A message nests two levels deep (the message, its answers); deeper is refused at once.
constexpr int kMaximumPanelMessageDepth = 8;

struct SubmittedAnswers {
  std::vector<Tenths> item_scores;  // in the measure's item order
};

struct DeclinedMeasure {
  std::string reason;  // may be empty
};

struct MessageProblem {
  std::string field;    // "answers.ors-individually", or "" for the message as a whole
  std::string message;  // plain words for the client's panel
};

struct InvalidMessage {
  std::vector<MessageProblem> problems;
};

using PanelMessage = std::variant<SubmittedAnswers, DeclinedMeasure, InvalidMessage>;

PanelMessage parse_panel_message(std::string_view text, const MeasureDefinition& measure);

// A mark's value in tenths, or nothing when it is not a number from 0.0 to 10.0 in
// steps of 0.1.
bool to_item_tenths(double value, Tenths& out);

}  // namespace alliance
