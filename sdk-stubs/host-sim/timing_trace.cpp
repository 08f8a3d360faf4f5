#include "timing_trace.hpp"

#include <string>

namespace host_sim {

void TimingTrace::mark_at(std::string_view event, WallTime at) const {
  if (!enabled_) return;
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  transcript_.heading("timing " + std::string(event) + " " + std::to_string(micros));
}

}  // namespace host_sim
