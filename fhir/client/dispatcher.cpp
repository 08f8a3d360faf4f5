#include "client/dispatcher.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "client/io_context_wake.hpp"

namespace alliance::fhir::detail {

namespace asio = boost::asio;

namespace {

HttpResult result_of(const StepOutcome& outcome) {
  HttpResult result;
  result.error = outcome.error;
  result.message = outcome.message;
  return result;
}

}  // namespace

Dispatcher::Dispatcher(asio::io_context& io_context, ConnectionSettings settings, std::shared_ptr<asio::ssl::context> tls)
    : io_context_(io_context), settings_(std::move(settings)), tls_(std::move(tls)) {}

Dispatcher::~Dispatcher() = default;

// ---- Any thread --------------------------------------------------------------------

void Dispatcher::send(HttpRequest request, HttpsClient::Callback callback) {
  asio::post(io_context_, [self = shared_from_this(), queued = Queued{std::move(request), std::move(callback)}]() mutable {
    self->enqueue(std::move(queued));
  });
  wake_io_context_owner(&io_context_);
}

void Dispatcher::cancel_all() {
  asio::post(io_context_, [self = shared_from_this()] { self->cancel_everything(); });
  wake_io_context_owner(&io_context_);
}

void Dispatcher::close() {
  {
    // Waits for a callback running on the io_context thread; after this block no
    // callback starts (deliver() checks the flag under the same lock).
    std::lock_guard<std::recursive_mutex> lock(callback_mutex_);
    closed_ = true;
  }
  try {
    // Sockets belong to the io_context's thread: they are closed there. If the
    // io_context has been stopped this never runs, and destroying the io_context
    // destroys this handler, and with it the dispatcher and its connections.
    asio::post(io_context_, [self = shared_from_this()] { self->shut_down(); });
    wake_io_context_owner(&io_context_);
  } catch (...) {
    // Out of memory while shutting down: the connections close when the last
    // handler holding the dispatcher goes.
  }
}

// ---- The io_context's thread ---------------------------------------------------------

void Dispatcher::enqueue(Queued queued) {
  if (closed_) return;
  queue_.push_back(std::move(queued));
  start_next();
}

void Dispatcher::start_next() {
  while (!in_flight_ && !queue_.empty() && !closed_) {
    Queued next = std::move(queue_.front());
    queue_.pop_front();
    HttpResult failure;
    std::optional<OutgoingRequest> outgoing = prepare_request(std::move(next.request), settings_.server, failure);
    if (!outgoing) {
      deliver(next.callback, std::move(failure));
      continue;
    }
    in_flight_ = std::make_unique<InFlight>();
    in_flight_->request = std::move(*outgoing);
    in_flight_->callback = std::move(next.callback);
    start_attempt(take_idle_connection());
  }
}

// Connections call back on a later turn of the io_context, never from inside open()
// or exchange(), so the in-flight state cannot change under these calls.
void Dispatcher::start_attempt(std::unique_ptr<Connection> idle) {
  InFlight& current = *in_flight_;
  current.attempt = ++attempts_;
  const std::uint64_t attempt = current.attempt;
  // Weak: a connection must not keep the dispatcher alive (it owns the connection).
  const std::weak_ptr<Dispatcher> weak_self = weak_from_this();
  if (idle) {
    current.connection = std::move(idle);
    current.connection_reused = true;
    current.connection->exchange(current.request, [weak_self, attempt](ExchangeOutcome outcome) {
      if (auto self = weak_self.lock()) self->on_exchanged(attempt, std::move(outcome));
    });
    return;
  }
  current.connection = std::make_unique<Connection>(io_context_, *tls_, settings_);
  current.connection_reused = false;
  current.connection->open([weak_self, attempt](StepOutcome outcome) {
    if (auto self = weak_self.lock()) self->on_opened(attempt, std::move(outcome));
  });
}

bool Dispatcher::is_current(std::uint64_t attempt) const {
  return !closed_ && in_flight_ && in_flight_->attempt == attempt;
}

void Dispatcher::on_opened(std::uint64_t attempt, StepOutcome outcome) {
  if (!is_current(attempt)) return;
  if (outcome.error != HttpErrorKind::none) return finish(result_of(outcome));
  InFlight& current = *in_flight_;
  const std::weak_ptr<Dispatcher> weak_self = weak_from_this();
  current.connection->exchange(current.request, [weak_self, attempt](ExchangeOutcome exchanged) {
    if (auto self = weak_self.lock()) self->on_exchanged(attempt, std::move(exchanged));
  });
}

void Dispatcher::on_exchanged(std::uint64_t attempt, ExchangeOutcome outcome) {
  if (!is_current(attempt)) return;
  InFlight& current = *in_flight_;
  if (outcome.failure.error != HttpErrorKind::none) {
    current.connection.reset();
    // A kept-alive connection the server closed while it sat idle: the request never
    // reached it, so it is sent again, once, on a fresh connection.
    if (current.connection_reused && outcome.failure.closed_before_response && !current.retried) {
      current.retried = true;
      return start_attempt(nullptr);
    }
    return finish(result_of(outcome.failure));
  }
  if (outcome.reusable) {
    idle_connection_ = std::move(current.connection);
    idle_since_ = std::chrono::steady_clock::now();
  } else {
    current.connection.reset();
  }
  HttpResult result;
  result.response = std::move(outcome.response);
  finish(std::move(result));
}

void Dispatcher::finish(HttpResult result) {
  std::unique_ptr<InFlight> done = std::move(in_flight_);
  deliver(done->callback, std::move(result));
  // On a later turn, so that a callback that sends again never nests inside this one.
  asio::post(io_context_, [self = shared_from_this()] { self->start_next(); });
}

void Dispatcher::deliver(HttpsClient::Callback& callback, HttpResult result) {
  std::lock_guard<std::recursive_mutex> lock(callback_mutex_);
  if (closed_ || !callback) return;
  try {
    callback(std::move(result));
  } catch (...) {
    // Callbacks must not throw: each caller ends its callbacks in its own handler,
    // which logs and settles what the request was for (Delivery::guarded). This only
    // keeps the queue (and the worker's io_context) running should one forget; the
    // request it was for is then the caller's to recover.
  }
}

std::unique_ptr<Connection> Dispatcher::take_idle_connection() {
  std::unique_ptr<Connection> connection = std::move(idle_connection_);
  if (connection && std::chrono::steady_clock::now() - idle_since_ >= settings_.timeouts.idle_connection) {
    return nullptr;  // closed as it goes out of scope
  }
  return connection;
}

void Dispatcher::cancel_everything() {
  std::deque<Queued> queued = std::move(queue_);
  queue_.clear();
  if (std::unique_ptr<InFlight> current = std::move(in_flight_)) {
    current->connection.reset();  // closes it; its pending operation ends unreported
    deliver(current->callback, result_of(cancelled_outcome()));
  }
  for (Queued& waiting : queued) deliver(waiting.callback, result_of(cancelled_outcome()));
}

void Dispatcher::shut_down() {
  queue_.clear();
  in_flight_.reset();
  idle_connection_.reset();
}

}  // namespace alliance::fhir::detail
