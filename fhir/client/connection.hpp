// One TLS connection to the FHIR server: opened once (resolve, connect, handshake;
// through an HTTP proxy: resolve and connect the proxy, CONNECT, then the handshake
// with the server through the tunnel), then used for one request/response exchange
// after another while the server keeps it alive. Every step runs under its own
// deadline. Internal to the HTTPS client; used on the io_context's thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "client/base_url.hpp"
#include "client/https_client.hpp"
#include "client/outgoing_request.hpp"
#include "client/transport_error.hpp"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace alliance::fhir::detail {

struct ConnectionSettings {
  BaseUrl server;
  std::optional<ProxyUrl> proxy;  // none: connect to the server directly
  HttpsTimeouts timeouts;
  std::size_t response_limit_bytes = 0;
  std::size_t header_limit_bytes = 0;
};

struct ExchangeOutcome {
  StepOutcome failure;     // error none: `response` is the server's answer
  HttpResponse response;
  bool reusable = false;   // the server allows another request on this connection
};

class Connection {
 public:
  using OpenCallback = std::function<void(StepOutcome)>;
  using ExchangeCallback = std::function<void(ExchangeOutcome)>;

  // `tls` must outlive the connection (the dispatcher owns both).
  Connection(boost::asio::io_context& io_context, boost::asio::ssl::context& tls, const ConnectionSettings& settings);
  // Closes: an operation still pending is cancelled and its callback dropped.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Resolves, connects (to the proxy, then asks it for a tunnel to the server) and
  // completes the TLS handshake, checking the server's certificate chain and host name.
  void open(OpenCallback done);

  // Writes the request and reads the whole response. Call after open() succeeded and
  // the previous exchange completed.
  void exchange(const OutgoingRequest& request, ExchangeCallback done);

  // Closes the socket now. A pending operation's callback is never called.
  void close();

 private:
  struct Implementation;
  std::shared_ptr<Implementation> state_;  // shared with pending operations' handlers
};

}  // namespace alliance::fhir::detail
