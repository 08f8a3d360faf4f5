#pragma once

#include <chrono>
#include <cstdint>

namespace host_sim {

// Every time the simulator reports (transcript, record, logs) is measured from one
// start instant so that they line up with each other.
class RunClock {
 public:
  RunClock() : start_(std::chrono::steady_clock::now()) {}

  std::int64_t elapsed_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace host_sim
