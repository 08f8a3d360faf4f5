// Messages from the client's shared graph (client_graph.html). The page shows and does
// not ask: the one message it sends is its Close button's,
//   {"type": "close"}
// Anything else (another shape, too large, not strict JSON) is "ignored": the workflow
// counts it and logs a bounded number of lines, and the panel stays as it is.
#pragma once

#include <cstddef>
#include <string_view>

namespace alliance {

constexpr std::size_t kMaximumClientGraphMessageBytes = 256;

enum class ClientGraphMessage { close, ignored };

ClientGraphMessage parse_client_graph_message(std::string_view text);

}  // namespace alliance
