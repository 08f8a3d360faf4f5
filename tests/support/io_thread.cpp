#include "support/io_thread.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <mutex>
#include <thread>

namespace alliance::testing {

struct IoThread::Implementation {
  boost::asio::io_context io_context{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_guard{io_context.get_executor()};
  std::thread thread{[this] { io_context.run(); }};
  std::once_flag stopped;
};

IoThread::IoThread() : implementation_(std::make_unique<Implementation>()) {}

IoThread::~IoThread() { stop(); }

void* IoThread::io_context() { return &implementation_->io_context; }

void IoThread::stop() {
  std::call_once(implementation_->stopped, [this] {
    implementation_->io_context.stop();
    implementation_->thread.join();
  });
}

}  // namespace alliance::testing
