#include "runtime/worker.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <typeinfo>
#include <utility>

#include "client/network_context.hpp"

namespace alliance {

namespace {
using Clock = std::chrono::steady_clock;
}

// One thread, three sources of work: the queue (post), the timers (post_after) and the
// io_context (network completions). The loop runs whatever is ready, then sleeps where
// a new arrival can wake it most cheaply (see worker.hpp): on `wake` when the
// io_context has nothing outstanding, in the io_context's epoll otherwise.
struct Worker::Implementation {
  fhir::NetworkContext network;
  std::thread thread;
  std::atomic<std::thread::id> thread_id{};
  std::once_flag stopped;
  // Set by stop(): the rest of a batch is dropped, as Asio's stop() drops the queue.
  std::atomic<bool> halting{false};

  std::mutex mutex;  // guards everything below it
  std::condition_variable wake;
  std::deque<std::function<void()>> queue;
  // Timers by (due, id): ids grow, so timers due at the same time run in the order set.
  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> timers;
  std::map<TimerId, Clock::time_point> timer_due;  // for cancel()
  TimerId last_timer = 0;
  bool accepting = true;
  bool stopping = false;
  bool sleeping_in_io = false;  // the thread is (about to be) in the io_context's epoll
  bool io_woken = false;        // ... and a post has already interrupted it
  bool io_posted = false;       // another thread posted to the io_context (fhir's wake)

  std::mutex reporter_mutex;
  std::function<void(std::string_view)> reporter;

  void report(const std::string& description) {
    const std::lock_guard<std::mutex> lock(reporter_mutex);
    if (!reporter) return;
    try {
      reporter(description);
    } catch (...) {
      // The log itself failed: nothing is left to tell.
    }
  }

  // A throw that escaped a job or a network handler: reported by type only (its text
  // may hold anything), and the thread goes on.
  template <typename Body>
  void run_reporting(Body&& body) {
    try {
      body();
    } catch (const std::exception& error) {
      report(std::string("kind=exception type=") + typeid(error).name());
    } catch (...) {
      report("kind=unknown");
    }
  }

  // Called with `lock` held; releases it. Wakes the thread wherever it sleeps.
  void wake_and_unlock(std::unique_lock<std::mutex>& lock) {
    const bool interrupt_io = sleeping_in_io && !std::exchange(io_woken, true);
    const bool was_sleeping_in_io = sleeping_in_io;
    lock.unlock();
    if (interrupt_io) {
      network.interrupt();
    } else if (!was_sleeping_in_io) {
      wake.notify_one();
    }
  }

  // Another thread posted network work to the io_context (io_context_wake.hpp). In
  // epoll, Asio's post has woken the thread already; on the condition, this does.
  void io_context_posted() {
    std::unique_lock lock(mutex);
    if (sleeping_in_io) return;
    io_posted = true;
    lock.unlock();
    wake.notify_one();
  }

  // The thread's body.
  void loop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      // 1. Everything queued and every timer due, in that order, outside the lock.
      std::deque<std::function<void()>> batch;
      batch.swap(queue);
      const Clock::time_point now = Clock::now();
      while (!timers.empty() && timers.begin()->first.first <= now) {
        timer_due.erase(timers.begin()->first.second);
        batch.push_back(std::move(timers.begin()->second));
        timers.erase(timers.begin());
      }
      if (!batch.empty()) {
        lock.unlock();
        for (std::function<void()>& work : batch) {
          if (halting.load(std::memory_order_relaxed)) break;
          run_reporting(work);
        }
        batch.clear();  // the jobs' captures go here, outside the lock
        lock.lock();
        continue;
      }
      // 2. Network completions that are ready. After poll(), a stopped io_context means
      // nothing is outstanding there: no request, no timer, no lookup.
      io_posted = false;
      lock.unlock();
      // Outstanding unless poll() says otherwise: after a handler threw, poll() did not
      // finish, and the loop must look again rather than sleep where a completion
      // cannot wake it.
      bool outstanding = true;
      run_reporting([this, &outstanding] { outstanding = network.poll(); });
      lock.lock();
      if (stopping) break;
      if (!queue.empty() || (!timers.empty() && timers.begin()->first.first <= Clock::now())) continue;
      const std::optional<Clock::time_point> next_timer =
          timers.empty() ? std::nullopt : std::optional(timers.begin()->first.first);
      if (!outstanding) {
        // 3a. Idle: a post or the next timer wakes it.
        const auto arrived = [this] { return stopping || !queue.empty() || io_posted; };
        if (next_timer) wake.wait_until(lock, *next_timer, arrived);
        else wake.wait(lock, arrived);
        continue;
      }
      // 3b. Network work outstanding: wait in epoll for it, a post or the next timer.
      sleeping_in_io = true;
      io_woken = false;
      lock.unlock();
      run_reporting([this, next_timer] {
        if (next_timer) network.run_one_until(*next_timer);
        else network.run_one();
      });
      lock.lock();
      sleeping_in_io = false;
    }
  }

  void stop() {
    std::call_once(stopped, [this] {
      {
        const std::lock_guard lock(mutex);
        accepting = false;
        stopping = true;
      }
      halting = true;
      wake.notify_one();
      network.stop();  // out of run_one, if it is there
      if (thread.joinable()) thread.join();
    });
  }
};

Worker::Worker() : implementation_(std::make_unique<Implementation>()) {
  Implementation& state = *implementation_;
  state.network.on_work_from_other_threads([&state] { state.io_context_posted(); });
  state.thread = std::thread([&state] {
    state.thread_id = std::this_thread::get_id();
    state.loop();
  });
}

Worker::~Worker() { implementation_->stop(); }

bool Worker::post(std::function<void()> work) {
  Implementation& state = *implementation_;
  std::unique_lock lock(state.mutex);
  if (!state.accepting) return false;
  state.queue.push_back(std::move(work));
  state.wake_and_unlock(lock);
  return true;
}

Worker::TimerId Worker::post_after(std::chrono::milliseconds delay, std::function<void()> work) {
  Implementation& state = *implementation_;
  std::unique_lock lock(state.mutex);
  if (!state.accepting) return 0;
  const TimerId id = ++state.last_timer;
  const Clock::time_point due = Clock::now() + std::max(delay, std::chrono::milliseconds(0));
  state.timers.emplace(std::pair(due, id), std::move(work));
  state.timer_due.emplace(id, due);
  // Only a timer that is now the first one changes when the thread must wake.
  if (state.timers.begin()->first.second == id) {
    state.wake_and_unlock(lock);
  }
  return id;
}

void Worker::cancel(TimerId timer) {
  Implementation& state = *implementation_;
  std::function<void()> cancelled;  // destroyed outside the lock
  const std::lock_guard lock(state.mutex);
  const auto found = state.timer_due.find(timer);
  if (found == state.timer_due.end()) return;
  const auto entry = state.timers.find(std::pair(found->second, timer));
  cancelled = std::move(entry->second);
  state.timers.erase(entry);
  state.timer_due.erase(found);
}

bool Worker::drain_and_stop(std::chrono::milliseconds timeout) {
  Implementation& state = *implementation_;
  auto drained = std::make_shared<std::promise<void>>();
  std::future<void> done = drained->get_future();
  // The marker runs after everything posted before it (FIFO on one thread).
  const bool posted = post([drained] { drained->set_value(); });
  {
    const std::lock_guard lock(state.mutex);
    state.accepting = false;
  }
  const bool finished = posted && done.wait_for(timeout) == std::future_status::ready;
  state.stop();
  return finished;
}

void Worker::report_failures_to(std::function<void(std::string_view)> reporter) {
  const std::lock_guard<std::mutex> lock(implementation_->reporter_mutex);
  implementation_->reporter = std::move(reporter);
}

bool Worker::on_worker_thread() const { return implementation_->thread_id == std::this_thread::get_id(); }

void* Worker::io_context_handle() { return implementation_->network.handle(); }

}  // namespace alliance
