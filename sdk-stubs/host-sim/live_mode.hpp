#pragma once

// host-sim --serve from start to end: read the files, load the plugin, serve the
// session's pages until a signal, shut the plugin down, write the record.

#include "command_line.hpp"

namespace host_sim {

// Returns the process exit status: 0 after a signal stopped the serving, 2 for a bad
// file or address, 3 when the plugin could not be loaded.
int run_live_mode(const CommandLine& options);

}  // namespace host_sim
