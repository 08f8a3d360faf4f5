#pragma once

// host-sim --serve --trace-timing: a line on stdout for each step of a panel's way to
// a page, to find where the time goes between a click on "Start session" and a panel
// the client can use:
//
//   timing <event> <microseconds since the Unix epoch>
//
// The wall clock, not a steady one: the lines then line up with a browser's
// performance.timeOrigin + performance.now() on the same machine. Event names are
// fixed words (no names, ids or page text). Off unless asked for.

#include "transcript.hpp"

#include <chrono>
#include <string_view>

namespace host_sim {

class TimingTrace {
 public:
  using WallTime = std::chrono::system_clock::time_point;

  // Writes through `transcript` (whole lines under its lock) when `enabled`.
  TimingTrace(Transcript& transcript, bool enabled) : transcript_(transcript), enabled_(enabled) {}

  bool enabled() const { return enabled_; }
  void mark(std::string_view event) const { mark_at(event, std::chrono::system_clock::now()); }
  void mark_at(std::string_view event, WallTime at) const;

 private:
  Transcript& transcript_;
  bool enabled_;
};

}  // namespace host_sim
