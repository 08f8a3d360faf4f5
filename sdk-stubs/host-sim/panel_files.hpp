#pragma once

// --save-panels: each panel's HTML as DIR/panel-<id>.html, to open in a browser.

#include "host_state.hpp"

#include <optional>
#include <string>

namespace host_sim {

// Creates `directory` if needed. Returns why not on failure.
std::optional<std::string> save_panel_html(const std::string& directory, const HostState& state);

}  // namespace host_sim
