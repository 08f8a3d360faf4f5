#pragma once

// host-sim --serve: a request target read once, the same way for every check. The
// pages' URLs are "<path>" or "<path>?key=<page key>" (page_keys.hpp); anything else
// in a query (another parameter, a second key) is refused rather than guessed at.

#include <optional>
#include <string>
#include <string_view>

namespace host_sim {

struct PageTarget {
  bool usable = false;             // false: not "/path[?key=value]"; answer 400
  std::string path;                // as sent (percent-encoded), like participant_page_path
  std::optional<std::string> key;  // the decoded key, when the query gave one
};

PageTarget read_page_target(std::string_view target);

}  // namespace host_sim
