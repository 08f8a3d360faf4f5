// The commands that work on the plugin's store: status, show, retry, purge. status,
// retry and purge print only what the store keeps in clear (states, counts, times,
// measure codes and the attempt history's log-safe reasons). show, asked for one item
// by its id, also prints the server's last answer, which is sealed because it may
// name the client; it says so.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

#include "configuration/configuration.hpp"

namespace alliance::control {

// Each returns the exit status: 0, or 1 when the store cannot be opened. show_status
// also returns 1 when something needs IT, so that monitoring can run it: a failed item,
// or (with a record system configured) an item pending for longer than
// `pending_limit_minutes`; it says which, and what to do.
int show_status(const Configuration& configuration, std::size_t problem_limit, long long pending_limit_minutes,
                std::ostream& out, std::ostream& errors);
int show_administration(const Configuration& configuration, const std::string& administration_id, std::ostream& out,
                        std::ostream& errors);
int retry_failed(const Configuration& configuration, std::ostream& out, std::ostream& errors);
int purge_expired(const Configuration& configuration, std::ostream& out, std::ostream& errors);

}  // namespace alliance::control
