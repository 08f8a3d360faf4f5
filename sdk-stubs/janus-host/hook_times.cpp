#include "hook_times.hpp"

#include <algorithm>

namespace janus_host {

void HookTimes::record(std::string_view hook, std::chrono::nanoseconds took) {
  std::lock_guard lock(mutex_);
  auto samples = samples_ns_.find(hook);
  if (samples == samples_ns_.end()) samples = samples_ns_.emplace(std::string(hook), std::vector<std::int64_t>{}).first;
  if (samples->second.size() < kMaximumSamples) samples->second.push_back(took.count());
}

std::map<std::string, HookSummary> HookTimes::summary() const {
  std::map<std::string, std::vector<std::int64_t>, std::less<>> copy;
  {
    std::lock_guard lock(mutex_);
    copy = samples_ns_;
  }
  std::map<std::string, HookSummary> summaries;
  for (auto& entry : copy) {
    std::vector<std::int64_t>& samples = entry.second;
    if (samples.empty()) continue;
    std::sort(samples.begin(), samples.end());
    auto at = [&](double fraction) {
      auto index = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1) + 0.5);
      return static_cast<double>(samples[index]) / 1000.0;
    };
    summaries[entry.first] = HookSummary{samples.size(), at(0.5), at(0.99), static_cast<double>(samples.back()) / 1000.0};
  }
  return summaries;
}

}  // namespace janus_host
