#include "host_thread.hpp"

namespace janus_host {

HostThread::HostThread() : thread_([this] { run(); }) {}

HostThread::~HostThread() { stop([] {}); }

bool HostThread::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    ready_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

bool HostThread::post_at(Clock::time_point when, Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    timers_.emplace(when, std::move(task));
  }
  wake_.notify_one();
  return true;
}

bool HostThread::on_host_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

void HostThread::stop(std::function<void()> last) {
  if (!thread_.joinable()) return;
  {
    // One step, so that nothing posted by another thread lands after `last`.
    std::lock_guard lock(mutex_);
    ready_.push_back([last = std::move(last)](bool run) {
      if (run) last();
    });
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // What was never run is told so, outside the lock (a task may free what it carries).
  std::deque<Task> abandoned;
  std::multimap<Clock::time_point, Task> timers;
  {
    std::lock_guard lock(mutex_);
    abandoned.swap(ready_);
    timers.swap(timers_);
  }
  for (Task& task : abandoned) task(false);
  for (auto& [when, task] : timers) task(false);
}

void HostThread::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      ready_.push_back(std::move(timers_.begin()->second));
      timers_.erase(timers_.begin());
    }
    if (!ready_.empty()) {
      Task task = std::move(ready_.front());
      ready_.pop_front();
      lock.unlock();
      task(true);
      lock.lock();
      continue;
    }
    if (stopping_) return;
    if (timers_.empty()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, timers_.begin()->first);
    }
  }
}

}  // namespace janus_host
