#include "worker.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <mutex>
#include <thread>

namespace alliance {

struct Worker::Implementation {
  boost::asio::io_context io_context{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_guard{io_context.get_executor()};
  std::atomic<bool> accepting{true};
  std::thread thread;
  std::atomic<std::thread::id> thread_id{};
  std::once_flag stopped;

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
  boost::asio::post(implementation_->io_context, std::move(work));
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
