// The ABI's host thread, which Janus does not have: Janus calls a plugin on its
// transport, session and events threads, several at once. This thread is the one the
// adapter calls every Alliance hook on, one at a time, and the one run_on_host_thread
// hands work to. Janus's threads only queue onto it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace janus_host {

class HostThread {
 public:
  using Clock = std::chrono::steady_clock;
  // A task runs with `true` on the host thread, or with `false` (on the thread that
  // stops this one) when it never will, so that whoever owns what it carries frees it.
  using Task = std::function<void(bool run)>;

  HostThread();
  ~HostThread();
  HostThread(const HostThread&) = delete;
  HostThread& operator=(const HostThread&) = delete;

  // False once stopping: the task was not taken and will not be called.
  bool post(Task task);
  bool post_at(Clock::time_point when, Task task);
  bool on_host_thread() const;

  // Runs `last` on the host thread after what is queued now, then stops: tasks posted
  // after `last` and timers not yet due are called with `false`. Waits for the thread.
  void stop(std::function<void()> last);

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> ready_;
  std::multimap<Clock::time_point, Task> timers_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace janus_host
