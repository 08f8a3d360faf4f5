// How long each Alliance hook took on the host thread, as the benchmarks time a hook
// (from the call to its return, steady clock): the ABI's budget is microseconds, and
// Janus's load is the reason to look. Beside the wall time, the host thread's own CPU
// time in the call: where the two differ, the thread waited for a core (Janus's threads,
// or the plugin's worker that the hook itself woke) rather than the hook being slow.
// The Admin API reads a summary (docs/janus.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace janus_host {

struct TimeSummary {
  double median_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

struct HookSummary {
  std::size_t count = 0;
  TimeSummary wall;
  TimeSummary cpu;
};

class HookTimes {
 public:
  void record(std::string_view hook, std::chrono::nanoseconds wall, std::chrono::nanoseconds cpu);
  std::map<std::string, HookSummary> summary() const;

 private:
  struct Samples {
    std::vector<std::int64_t> wall_ns;
    std::vector<std::int64_t> cpu_ns;
  };
  // At most this many samples per hook are kept (the earliest), enough for any
  // percentile a session's worth of calls can show.
  static constexpr std::size_t kMaximumSamples = 100000;
  mutable std::mutex mutex_;
  std::map<std::string, Samples, std::less<>> samples_;
};

// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
std::chrono::nanoseconds thread_cpu_time();

}  // namespace janus_host
