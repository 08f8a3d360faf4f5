#include "worker.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <mutex>
#include <thread>
#include <typeinfo>

namespace alliance {

struct Worker::Implementation {
  boost::asio::io_context io_context{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_guard{io_context.get_executor()};
  std::atomic<bool> accepting{true};
  std::thread thread;
  std::atomic<std::thread::id> thread_id{};
  std::once_flag stopped;
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
    // thread alive if one slips through anyway, and says so. Only the exception's type
    // is told: its text may hold anything.
    for (;;) {
      try {
        state.io_context.run();
        return;
      } catch (const std::exception& error) {
        state.report(std::string("kind=exception type=") + typeid(error).name());
      } catch (...) {
        state.report("kind=unknown");
      }
    }
  });
}

Worker::~Worker() { implementation_->stop(); }

bool Worker::post(std::function<void()> work) {
  if (!implementation_->accepting) return false;
  boost::asio::post(implementation_->io_context, std::move(work));
  return true;
}

bool Worker::post_after(std::chrono::milliseconds delay, std::function<void()> work) {
  Implementation& state = *implementation_;
  // The timer is made on the worker thread, which owns everything of the io_context.
  return post([&state, delay, work = std::move(work)]() mutable {
    auto timer = std::make_shared<boost::asio::steady_timer>(state.io_context, delay);
    timer->async_wait([timer, work = std::move(work)](const boost::system::error_code& error) {
      if (!error) work();
    });
  });
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

void Worker::report_failures_to(std::function<void(std::string_view)> reporter) {
  const std::lock_guard<std::mutex> lock(implementation_->reporter_mutex);
  implementation_->reporter = std::move(reporter);
}

bool Worker::on_worker_thread() const { return implementation_->thread_id == std::this_thread::get_id(); }

void* Worker::io_context_handle() { return &implementation_->io_context; }

}  // namespace alliance
