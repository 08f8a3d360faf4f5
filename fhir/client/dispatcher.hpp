// The HTTPS client's engine: a queue of requests run one at a time over a kept-alive
// connection, the one automatic retry on a stale connection, cancellation, and the
// rule that no callback runs once the client is gone. Internal to the HTTPS client.
//
// Everything but send(), cancel_all() and close() runs on the io_context's thread;
// those three post their work there.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "client/connection.hpp"
#include "client/https_client.hpp"
#include "client/outgoing_request.hpp"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace alliance::fhir::detail {

class Dispatcher : public std::enable_shared_from_this<Dispatcher> {
 public:
  Dispatcher(boost::asio::io_context& io_context, ConnectionSettings settings,
             std::shared_ptr<boost::asio::ssl::context> tls);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void send(HttpRequest request, HttpsClient::Callback callback);
  void cancel_all();
  // No callback runs after this returns (it waits for one that is running on the
  // io_context thread); everything queued or in flight is abandoned.
  void close();

 private:
  struct Queued {
    HttpRequest request;
    HttpsClient::Callback callback;
  };
  struct InFlight {
    OutgoingRequest request;
    HttpsClient::Callback callback;
    std::unique_ptr<Connection> connection;
    bool connection_reused = false;
    bool retried = false;
    std::uint64_t attempt = 0;  // tells a current completion from one of an abandoned attempt
  };

  void enqueue(Queued queued);
  void start_next();
  void start_attempt(std::unique_ptr<Connection> idle);
  void on_opened(std::uint64_t attempt, StepOutcome outcome);
  void on_exchanged(std::uint64_t attempt, ExchangeOutcome outcome);
  void finish(HttpResult result);
  void deliver(HttpsClient::Callback& callback, HttpResult result);
  void cancel_everything();
  void shut_down();
  std::unique_ptr<Connection> take_idle_connection();
  bool is_current(std::uint64_t attempt) const;

  boost::asio::io_context& io_context_;
  const ConnectionSettings settings_;
  const std::shared_ptr<boost::asio::ssl::context> tls_;

  std::deque<Queued> queue_;
  std::unique_ptr<InFlight> in_flight_;
  std::uint64_t attempts_ = 0;
  // The pool: one idle connection for now. A small pool would keep several here and
  // let the queue run that many requests at once.
  std::unique_ptr<Connection> idle_connection_;
  std::chrono::steady_clock::time_point idle_since_;

  // Held while a callback runs, so that close() from another thread waits for it;
  // recursive so that a callback may destroy the client.
  std::recursive_mutex callback_mutex_;
  std::atomic<bool> closed_{false};
};

}  // namespace alliance::fhir::detail
