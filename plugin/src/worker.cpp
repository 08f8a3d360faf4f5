#include "worker.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace alliance {

// Posted work has its own queue and its own wake-up, an eventfd the worker's
// io_context waits on, rather than boost::asio::post. Why: a host hook posts while
// the worker sleeps in epoll (delivery keeps a timer armed), and Asio wakes it by
// calling epoll_ctl while holding its scheduler's mutex, so the woken worker at once
// blocks on that mutex and the host thread pays a second wake-up when it lets go:
// about twice a bare mutex-and-condition-variable hand-off (hook_latency idle). Here
// the host thread takes an uncontended mutex, queues, lets go, and writes the eventfd
// once: the same work as the bare hand-off. While a drain is scheduled (the worker is
// awake or about to be), posts queue without any system call.
struct Worker::Implementation {
  boost::asio::io_context io_context{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_guard{io_context.get_executor()};
  boost::asio::posix::stream_descriptor wakeup{io_context};
  std::atomic<bool> accepting{true};
  std::thread thread;
  std::atomic<std::thread::id> thread_id{};
  std::once_flag stopped;

  std::mutex queue_mutex;
  std::deque<std::function<void()>> queue;  // guarded by queue_mutex
  bool drain_scheduled = false;             // guarded by queue_mutex

  Implementation() {
    const int descriptor = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (descriptor < 0) throw std::system_error(errno, std::generic_category(), "eventfd for the worker");
    wakeup.assign(descriptor);
    arm();
  }

  // Any thread.
  void push(std::function<void()> work) {
    bool signal = false;
    {
      std::lock_guard lock(queue_mutex);
      queue.push_back(std::move(work));
      signal = !std::exchange(drain_scheduled, true);
    }
    if (signal) {
      const std::uint64_t one = 1;
      // Cannot fail short of a counter at its maximum, which a drain resets long before.
      [[maybe_unused]] const ssize_t written = ::write(wakeup.native_handle(), &one, sizeof one);
    }
  }

  // Worker thread. Waits for the next write. Armed before each drain, so that a write
  // made once the drain has found the queue empty always finds a wait to complete.
  void arm() {
    wakeup.async_wait(boost::asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& error) {
      if (error) return;  // stopped
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t read = ::read(wakeup.native_handle(), &count, sizeof count);
      arm();
      drain();
    });
  }

  // Worker thread. Runs what was queued when it began; if more came meanwhile, runs
  // again on a later turn so that network completions are not kept waiting.
  void drain() {
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard lock(queue_mutex);
      batch.swap(queue);
    }
    for (std::function<void()>& work : batch) {
      // Stopping drops what is still queued (drain_and_stop's timeout), as Asio drops
      // the handlers it has not started.
      if (io_context.stopped()) return;
      // Work items catch their own exceptions (see Plugin::post); one that slips
      // through anyway must not take the rest of the batch with it.
      try {
        work();
      } catch (...) {
      }
    }
    std::lock_guard lock(queue_mutex);
    if (queue.empty()) {
      drain_scheduled = false;
    } else {
      boost::asio::post(io_context, [this] { drain(); });
    }
  }

  void stop() {
    std::call_once(stopped, [this] {
      accepting = false;
      io_context.stop();
      if (thread.joinable()) thread.join();
    });
  }
};

Worker::Worker() : implementation_(std::make_unique<Implementation>()) {
  Implementation& state = *implementation_;
  state.thread = std::thread([&state] {
    state.thread_id = std::this_thread::get_id();
    // Work items catch their own exceptions (see Plugin::post); this loop keeps the
    // thread alive if one slips through anyway.
    for (;;) {
      try {
        state.io_context.run();
        return;
      } catch (...) {
      }
    }
  });
}

Worker::~Worker() { implementation_->stop(); }

bool Worker::post(std::function<void()> work) {
  if (!implementation_->accepting) return false;
  implementation_->push(std::move(work));
  return true;
}

bool Worker::drain_and_stop(std::chrono::milliseconds timeout) {
  Implementation& state = *implementation_;
  auto drained = std::make_shared<std::promise<void>>();
  std::future<void> done = drained->get_future();
  // The marker runs after everything posted before it (FIFO on one thread).
  const bool posted = post([drained] { drained->set_value(); });
  state.accepting = false;
  const bool finished = posted && done.wait_for(timeout) == std::future_status::ready;
  state.stop();
  return finished;
}

bool Worker::on_worker_thread() const { return implementation_->thread_id == std::this_thread::get_id(); }

void* Worker::io_context_handle() { return &implementation_->io_context; }

}  // namespace alliance
