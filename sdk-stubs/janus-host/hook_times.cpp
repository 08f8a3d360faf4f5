#include "hook_times.hpp"

#include <time.h>

#include <algorithm>

namespace janus_host {
namespace {

TimeSummary summarize(std::vector<std::int64_t>& samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double fraction) {
    auto index = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1) + 0.5);
    return static_cast<double>(samples[index]) / 1000.0;
  };
  return TimeSummary{at(0.5), at(0.99), static_cast<double>(samples.back()) / 1000.0};
}

}  // namespace

std::chrono::nanoseconds thread_cpu_time() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

void HookTimes::record(std::string_view hook, std::chrono::nanoseconds wall, std::chrono::nanoseconds cpu) {
  std::lock_guard lock(mutex_);
  auto samples = samples_.find(hook);
  if (samples == samples_.end()) samples = samples_.emplace(std::string(hook), Samples{}).first;
  if (samples->second.wall_ns.size() < kMaximumSamples) {
    samples->second.wall_ns.push_back(wall.count());
    samples->second.cpu_ns.push_back(cpu.count());
  }
}

std::map<std::string, HookSummary> HookTimes::summary() const {
  std::map<std::string, Samples, std::less<>> copy;
  {
    std::lock_guard lock(mutex_);
    copy = samples_;
  }
  std::map<std::string, HookSummary> summaries;
  for (auto& entry : copy) {
    if (entry.second.wall_ns.empty()) continue;
    summaries[entry.first] =
        HookSummary{entry.second.wall_ns.size(), summarize(entry.second.wall_ns), summarize(entry.second.cpu_ns)};
  }
  return summaries;
}

}  // namespace janus_host
