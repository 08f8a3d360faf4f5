#include "hook_watchdog.hpp"

#include <cstdio>
#include <cstdlib>

namespace host_sim {

HookWatchdog::HookWatchdog() : thread_([this] { watch(); }) {}

HookWatchdog::~HookWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void HookWatchdog::arm(std::string call, std::chrono::milliseconds limit) {
  {
    std::lock_guard lock(mutex_);
    call_ = std::move(call);
    limit_ = limit;
    deadline_ = std::chrono::steady_clock::now() + limit;
  }
  changed_.notify_all();
}

void HookWatchdog::disarm() {
  {
    std::lock_guard lock(mutex_);
    deadline_.reset();
  }
  changed_.notify_all();
}

void HookWatchdog::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!deadline_) {
      changed_.wait(lock);
      continue;
    }
    // A copy, because arm() and disarm() may change deadline_ while this thread waits.
    std::chrono::steady_clock::time_point deadline = *deadline_;
    if (std::chrono::steady_clock::now() < deadline) {
      changed_.wait_until(lock, deadline);
      continue;
    }
    std::fprintf(stderr,
                 "host-sim: %s has not returned after %lld ms; the host thread is stuck, "
                 "giving up\n",
                 call_.c_str(), static_cast<long long>(limit_.count()));
    std::fflush(stderr);
    // The host thread is inside the plugin and cannot be unwound; leave at once.
    std::_Exit(1);
  }
}

}  // namespace host_sim
