#pragma once

// The human-readable account of a run on stdout: one line per event, prefixed with
// the time since the run started. Plugin threads report events too, so lines are
// written whole under a mutex and flushed at once (a stuck plugin must not take the
// last lines with it).

#include "run_clock.hpp"

#include <cstddef>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace host_sim {

class Transcript {
 public:
  Transcript(std::ostream& out, const RunClock& clock) : out_(out), clock_(clock) {}

  // A line without a time, such as "== Scenario: ...".
  void heading(std::string_view text);
  // "[   12 ms] text"
  void event(std::string_view text);
  // An event followed by indented detail lines (each line of `detail`).
  void event_with_detail(std::string_view text, std::string_view detail);

 private:
  std::ostream& out_;
  const RunClock& clock_;
  std::mutex mutex_;
};

// Text fit for one transcript line: line breaks and tabs become spaces and anything
// past `limit` bytes is cut (at a UTF-8 character boundary) and marked with "…".
std::string abbreviate(std::string_view text, std::size_t limit = 300);

}  // namespace host_sim
