// How long each Alliance hook took on the host thread, as the benchmarks time a hook
// (from the call to its return, steady clock): the ABI's budget is microseconds, and
// Janus's load is the reason to look. The Admin API reads a summary (docs/janus.md).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace janus_host {

struct HookSummary {
  std::size_t count = 0;
  double median_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

class HookTimes {
 public:
  void record(std::string_view hook, std::chrono::nanoseconds took);
  std::map<std::string, HookSummary> summary() const;

 private:
  // At most this many samples per hook are kept (the earliest), enough for any
  // percentile a session's worth of calls can show.
  static constexpr std::size_t kMaximumSamples = 100000;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::int64_t>, std::less<>> samples_ns_;
};

}  // namespace janus_host
