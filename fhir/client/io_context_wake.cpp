#include "client/io_context_wake.hpp"

#include <boost/asio/io_context.hpp>
#include <mutex>
#include <utility>

namespace alliance::fhir {
namespace {

// Kept in the io_context itself (an Asio service), so that it lives and dies with it.
class WakeService : public boost::asio::execution_context::service {
 public:
  static inline boost::asio::execution_context::id id;
  explicit WakeService(boost::asio::execution_context& context) : boost::asio::execution_context::service(context) {}
  void set(std::function<void()> wake) {
    const std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
  }
  void wake() {
    const std::lock_guard lock(mutex_);
    if (wake_) wake_();
  }

 private:
  void shutdown() override {}
  std::mutex mutex_;
  std::function<void()> wake_;
};

boost::asio::io_context& context_of(void* io_context) { return *static_cast<boost::asio::io_context*>(io_context); }

}  // namespace

void set_io_context_wake(void* io_context, std::function<void()> wake) {
  boost::asio::use_service<WakeService>(context_of(io_context)).set(std::move(wake));
}

void wake_io_context_owner(void* io_context) noexcept {
  boost::asio::io_context& context = context_of(io_context);
  if (!boost::asio::has_service<WakeService>(context)) return;
  try {
    boost::asio::use_service<WakeService>(context).wake();
  } catch (...) {
    // The owner's wake does not throw; if it did, the work still runs at its next turn.
  }
}

}  // namespace alliance::fhir
