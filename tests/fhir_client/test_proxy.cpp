#include "test_proxy.hpp"

#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <mutex>
#include <optional>
#include <thread>

namespace alliance::fhir::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

std::string basic_authorization(const std::string& user, const std::string& password) {
  const std::string credentials = user + ":" + password;
  std::string encoded(4 * ((credentials.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(credentials.data()),
                                     static_cast<int>(credentials.size()));
  encoded.resize(static_cast<std::size_t>(length));
  return "Basic " + encoded;
}

namespace {

std::string status_line(int status) {
  switch (status) {
    case 200: return "HTTP/1.1 200 Connection established\r\n";
    case 403: return "HTTP/1.1 403 Forbidden\r\n";
    case 407: return "HTTP/1.1 407 Proxy Authentication Required\r\n";
    case 502: return "HTTP/1.1 502 Bad Gateway\r\n";
    default: return "HTTP/1.1 " + std::to_string(status) + " Refused\r\n";
  }
}

// Copies one direction of the tunnel until either side closes, then passes the close on.
awaitable<void> relay(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
  std::array<char, 16 * 1024> data;
  for (;;) {
    auto [read_error, size] = co_await from->async_read_some(asio::buffer(data), asio::as_tuple(use_awaitable));
    if (read_error) break;
    auto [write_error, written] =
        co_await asio::async_write(*to, asio::buffer(data.data(), size), asio::as_tuple(use_awaitable));
    (void)written;
    if (write_error) break;
  }
  boost::system::error_code ignored;
  to->shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

struct TestProxy::Implementation {
  explicit Implementation(TestProxyOptions proxy_options) : options(std::move(proxy_options)), io_context(std::in_place, 1) {
    tcp::acceptor acceptor(*io_context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
    asio::co_spawn(*io_context, accept_connections(std::move(acceptor)), asio::detached);
    thread = std::thread([this] { io_context->run(); });
  }

  ~Implementation() {
    io_context->stop();
    thread.join();
    io_context.reset();  // destroys the suspended sessions and their sockets
  }

  TestProxyOptions options;
  std::optional<asio::io_context> io_context;
  unsigned short port = 0;
  std::atomic<int> accepted{0};
  mutable std::mutex mutex;
  std::vector<ReceivedConnect> received;
  std::thread thread;

  awaitable<void> accept_connections(tcp::acceptor acceptor) {
    for (;;) {
      tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
      ++accepted;
      asio::co_spawn(*io_context, serve(std::make_shared<tcp::socket>(std::move(socket))), asio::detached);
    }
  }

  std::size_t record(const http::request<http::empty_body>& request) {
    ReceivedConnect connect;
    connect.method = std::string(request.method_string());
    connect.target = std::string(request.target());
    connect.host = std::string(request[http::field::host]);
    if (request.find(http::field::proxy_authorization) != request.end()) {
      connect.proxy_authorization = std::string(request[http::field::proxy_authorization]);
    }
    std::lock_guard<std::mutex> lock(mutex);
    received.push_back(std::move(connect));
    return received.size() - 1;
  }

  void record_status(std::size_t index, int status) {
    std::lock_guard<std::mutex> lock(mutex);
    received[index].status = status;
  }

  awaitable<void> answer(tcp::socket& socket, int status) {
    std::string text = status_line(status);
    if (status == 407) text += "Proxy-Authenticate: Basic realm=\"test proxy\"\r\n";
    if (status != 200) text += "Content-Length: 0\r\nConnection: close\r\n";
    text += "\r\n";
    co_await asio::async_write(socket, asio::buffer(text), use_awaitable);
  }

  awaitable<void> serve(std::shared_ptr<tcp::socket> client) {
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    auto [read_error, read_size] = co_await http::async_read_header(*client, buffer, parser, asio::as_tuple(use_awaitable));
    (void)read_size;
    if (read_error) co_return;
    const http::request<http::empty_body>& request = parser.get();
    const std::size_t index = record(request);

    switch (options.behaviour) {
      case ProxyBehaviour::never_answer: {
        asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::hours(1));
        co_await timer.async_wait(use_awaitable);
        co_return;
      }
      case ProxyBehaviour::close_without_answer:
        client->close();
        co_return;
      case ProxyBehaviour::refuse:
        record_status(index, options.refuse_status);
        co_await answer(*client, options.refuse_status);
        co_return;
      case ProxyBehaviour::tunnel:
        break;
    }
    if (request.method() != http::verb::connect) {
      record_status(index, 405);
      co_await answer(*client, 405);
      co_return;
    }
    if (options.required_authorization) {
      const auto field = request.find(http::field::proxy_authorization);
      if (field == request.end() || field->value() != *options.required_authorization) {
        record_status(index, 407);
        co_await answer(*client, 407);
        co_return;
      }
    }

    // The target is host:port (brackets around an IPv6 host).
    const std::string target(request.target());
    const std::size_t colon = target.rfind(':');
    std::string host = target.substr(0, colon);
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    const std::string service = colon == std::string::npos ? "443" : target.substr(colon + 1);
    auto upstream = std::make_shared<tcp::socket>(*io_context);
    tcp::resolver resolver(*io_context);
    auto [resolve_error, endpoints] = co_await resolver.async_resolve(host, service, asio::as_tuple(use_awaitable));
    boost::system::error_code connect_error = resolve_error;
    if (!connect_error) {
      auto [error, endpoint] = co_await asio::async_connect(*upstream, endpoints, asio::as_tuple(use_awaitable));
      (void)endpoint;
      connect_error = error;
    }
    if (connect_error) {
      record_status(index, 502);
      co_await answer(*client, 502);
      co_return;
    }
    record_status(index, 200);
    co_await answer(*client, 200);
    // Bytes the client sent after its CONNECT header (none, normally) go first.
    if (buffer.size() > 0) co_await asio::async_write(*upstream, buffer.data(), use_awaitable);
    asio::co_spawn(*io_context, relay(upstream, client), asio::detached);
    co_await relay(client, upstream);
  }
};

TestProxy::TestProxy(TestProxyOptions options) : implementation_(std::make_unique<Implementation>(std::move(options))) {}

TestProxy::~TestProxy() = default;

unsigned short TestProxy::port() const { return implementation_->port; }

int TestProxy::accepted_connections() const { return implementation_->accepted; }

std::vector<ReceivedConnect> TestProxy::connects() const {
  std::lock_guard<std::mutex> lock(implementation_->mutex);
  return implementation_->received;
}

}  // namespace alliance::fhir::testing
