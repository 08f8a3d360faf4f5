// Renders the panels' HTML: self-contained pages (no external resources) under a
// default-deny Content Security Policy whose script and style nonce is new for every
// render. Host-provided and measure text is escaped; data reaches the page's script
// as JSON inside a non-executable script element.
#pragma once

#include <string>
#include <string_view>

#include "measures/measure_definition.hpp"

namespace alliance {

// The client's panel for one measure: a visual analogue line per item, a review
// step before anything is sent, and a way to decline. Its data block carries the
// measure code, "language" (BCP 47, for the panel's own words), "child", the title,
// the instructions and the items ({linkId, text}).
std::string render_measure_panel(const MeasureDefinition& measure);

// The therapist's form for a measure given aloud (an audio session): the measure's
// spoken introduction and each item's script in the client's language (falling back
// to the instructions and the item's text when the Questionnaire has no script), a
// number entry per item, a review with the total, and "client declined". It sends the
// same submit and decline messages as the client's form. `client_name` is shown to the
// therapist only ("read each item to Sam").
std::string render_verbal_panel(const MeasureDefinition& measure, std::string_view title, std::string_view client_name);

// The child versions (CORS, CSRS, YCORS, CGSRS) show faces at the lines' ends.
bool is_child_measure(std::string_view code);

// The therapist's panel; results arrive later as {"type":"result"} messages.
std::string render_clinician_panel(std::string_view title);

// The client's own graph, shown to them by the therapist (session/shared_graph.hpp):
// `data` is the page's whole data block (client_graph_data), `language` its words'.
std::string render_client_graph_panel(std::string_view title, const std::string& data, const std::string& language);

// Helpers, exposed for tests.
std::string escape_html(std::string_view text);
// JSON text that is safe between <script> tags: '<', '>' and '&' become \u escapes.
std::string json_for_script_element(const std::string& json_text);
std::string new_nonce();  // 128 random bits, base64

}  // namespace alliance
