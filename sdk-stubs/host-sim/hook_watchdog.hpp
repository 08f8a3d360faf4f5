#pragma once

// Hooks and host tasks must return within microseconds. If one never returns, the
// host thread is stuck and the scenario can never finish; rather than hang a CI job,
// the watchdog says which call is stuck and ends the process (exit status 1).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace host_sim {

class HookWatchdog {
 public:
  HookWatchdog();
  ~HookWatchdog();
  HookWatchdog(const HookWatchdog&) = delete;
  HookWatchdog& operator=(const HookWatchdog&) = delete;

  // `call` names what is running, e.g. "the plugin's session_started hook".
  void arm(std::string call, std::chrono::milliseconds limit);
  void disarm();

 private:
  void watch();

  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::string call_;
  std::chrono::milliseconds limit_{0};
  std::thread thread_;
};

// Arms the watchdog for one scope.
class WatchdogScope {
 public:
  WatchdogScope(HookWatchdog& watchdog, std::string call, std::chrono::milliseconds limit)
      : watchdog_(watchdog) {
    watchdog_.arm(std::move(call), limit);
  }
  ~WatchdogScope() { watchdog_.disarm(); }
  WatchdogScope(const WatchdogScope&) = delete;
  WatchdogScope& operator=(const WatchdogScope&) = delete;

 private:
  HookWatchdog& watchdog_;
};

}  // namespace host_sim
