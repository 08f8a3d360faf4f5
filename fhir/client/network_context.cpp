#include "client/network_context.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "client/io_context_wake.hpp"

namespace alliance::fhir {

struct NetworkContext::Implementation {
  boost::asio::io_context io_context{1};
};

NetworkContext::NetworkContext() : implementation_(std::make_unique<Implementation>()) {}

NetworkContext::~NetworkContext() = default;

void* NetworkContext::handle() { return &implementation_->io_context; }

bool NetworkContext::poll() {
  boost::asio::io_context& context = implementation_->io_context;
  context.restart();
  context.poll();
  // Asio stops an io_context whose outstanding work reached zero.
  return !context.stopped();
}

void NetworkContext::run_one_until(std::chrono::steady_clock::time_point deadline) {
  implementation_->io_context.run_one_until(deadline);
}

void NetworkContext::run_one() { implementation_->io_context.run_one(); }

void NetworkContext::interrupt() {
  boost::asio::post(implementation_->io_context, [] {});
}

void NetworkContext::stop() { implementation_->io_context.stop(); }

void NetworkContext::on_work_from_other_threads(std::function<void()> wake) {
  set_io_context_wake(&implementation_->io_context, std::move(wake));
}

}  // namespace alliance::fhir
