#include "test_server.hpp"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <thread>

#ifndef ALLIANCE_TEST_CERTIFICATES
#error "ALLIANCE_TEST_CERTIFICATES must name the folder the test_certificates fixture fills"
#endif

namespace alliance::fhir::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using TlsStream = ssl::stream<tcp::socket>;

std::string certificate_path(const std::string& file_name) {
  return std::string(ALLIANCE_TEST_CERTIFICATES) + "/" + file_name;
}

unsigned short unused_port() {
  asio::io_context io_context;
  tcp::acceptor acceptor(io_context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

namespace {

std::string lower_case(std::string text) {
  for (char& character : text) character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  return text;
}

awaitable<void> pause_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(use_awaitable);
}

awaitable<void> write_text(TlsStream& stream, const std::string& text) {
  co_await asio::async_write(stream, asio::buffer(text), use_awaitable);
}

}  // namespace

struct TestServer::Implementation {
  explicit Implementation(TestServerOptions server_options)
      : options(std::move(server_options)), tls(ssl::context::tls_server), io_context(std::in_place, 1) {
    tls.use_certificate_chain_file(certificate_path(options.certificate + ".pem"));
    tls.use_private_key_file(certificate_path(options.certificate + ".key"), ssl::context::pem);
    if (options.require_client_certificate) {
      tls.load_verify_file(certificate_path("ca.pem"));
      tls.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    tcp::acceptor acceptor(*io_context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
    asio::co_spawn(*io_context, accept_connections(std::move(acceptor)), asio::detached);
    thread = std::thread([this] { io_context->run(); });
  }

  ~Implementation() {
    io_context->stop();
    thread.join();
    // Destroys the suspended sessions while the TLS context they use still exists.
    io_context.reset();
  }

  TestServerOptions options;
  ssl::context tls;
  std::optional<asio::io_context> io_context;
  unsigned short port = 0;
  std::atomic<int> accepted{0};
  std::atomic<int> handshakes{0};
  mutable std::mutex mutex;
  std::vector<ReceivedRequest> received;
  std::vector<std::string> server_names;
  std::thread thread;

  awaitable<void> accept_connections(tcp::acceptor acceptor) {
    for (;;) {
      tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
      ++accepted;
      asio::co_spawn(*io_context, serve(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> serve(tcp::socket socket) {
    if (options.behaviour == ServerBehaviour::silent_before_handshake) {
      co_await pause_for(std::chrono::hours(1));
      co_return;
    }
    TlsStream stream(std::move(socket), tls);
    bool handshake_failed = false;
    try {
      co_await stream.async_handshake(ssl::stream_base::server, use_awaitable);
    } catch (const boost::system::system_error&) {
      handshake_failed = true;
    }
    if (handshake_failed) {
      co_await close_gracefully(stream.next_layer());
      co_return;
    }
    {
      const char* server_name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
      std::lock_guard<std::mutex> lock(mutex);
      server_names.emplace_back(server_name != nullptr ? server_name : "");
    }
    ++handshakes;

    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      co_await http::async_read(stream, buffer, request, use_awaitable);  // throws when the client closes
      record(request);
      switch (options.behaviour) {
        case ServerBehaviour::never_answer:
          co_await pause_for(std::chrono::hours(1));
          co_return;
        case ServerBehaviour::trickle:
          co_await send_trickle(stream);
          co_return;
        case ServerBehaviour::oversized_body:
          co_await send_oversized_body(stream);
          co_return;
        case ServerBehaviour::reset_mid_response:
          co_await send_then_reset(stream);
          co_return;
        case ServerBehaviour::respond:
        case ServerBehaviour::silent_before_handshake:
          break;
      }
      http::response<http::string_body> response{static_cast<http::status>(options.status), request.version()};
      for (const auto& [name, value] : options.headers) response.set(name, value);
      response.body() = options.body;
      response.keep_alive(options.persistence != ConnectionPersistence::close);
      response.prepare_payload();
      co_await http::async_write(stream, response, use_awaitable);
      if (options.persistence != ConnectionPersistence::keep_alive) {
        // Without a TLS close_notify, like a server dropping an idle connection.
        stream.next_layer().close();
        co_return;
      }
    }
  }

  void record(const http::request<http::string_body>& request) {
    ReceivedRequest copy;
    copy.method = std::string(request.method_string());
    copy.target = std::string(request.target());
    for (const auto& field : request) copy.headers[lower_case(std::string(field.name_string()))] = std::string(field.value());
    copy.body = request.body();
    std::lock_guard<std::mutex> lock(mutex);
    received.push_back(std::move(copy));
  }

  // After a failed handshake: let the client read our alert before the socket goes,
  // rather than resetting the connection under it.
  awaitable<void> close_gracefully(tcp::socket& socket) {
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    asio::steady_timer deadline(co_await asio::this_coro::executor, std::chrono::seconds(2));
    deadline.async_wait([&socket](const boost::system::error_code& error) {
      boost::system::error_code close_error;
      if (!error) socket.close(close_error);
    });
    char discard[1024];
    for (;;) {
      auto [error, size] = co_await socket.async_read_some(asio::buffer(discard), asio::as_tuple(use_awaitable));
      (void)size;
      if (error) break;
    }
    deadline.cancel();
  }

  awaitable<void> send_trickle(TlsStream& stream) {
    co_await write_text(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: " +
                                    std::to_string(options.body.size()) + "\r\n\r\n");
    for (char character : options.body) {
      co_await pause_for(options.trickle_interval);
      co_await write_text(stream, std::string(1, character));
    }
  }

  awaitable<void> send_oversized_body(TlsStream& stream) {
    co_await write_text(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk_data(64 * 1024, 'x');
    const std::string chunk = "10000\r\n" + chunk_data + "\r\n";  // 0x10000 bytes
    for (std::size_t sent = 0; sent < options.oversized_body_bytes; sent += chunk_data.size()) {
      co_await write_text(stream, chunk);
    }
    co_await write_text(stream, "0\r\n\r\n");
  }

  awaitable<void> send_then_reset(TlsStream& stream) {
    co_await write_text(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 1000\r\n\r\n" +
                                    std::string(100, 'x'));
    co_await pause_for(std::chrono::milliseconds(100));
    // SO_LINGER with a zero timeout: close() sends a TCP reset instead of a FIN.
    stream.next_layer().set_option(tcp::socket::linger(true, 0));
    stream.next_layer().close();
  }
};

TestServer::TestServer(TestServerOptions options)
    : implementation_(std::make_unique<Implementation>(std::move(options))) {}

TestServer::~TestServer() = default;

unsigned short TestServer::port() const { return implementation_->port; }

int TestServer::accepted_connections() const { return implementation_->accepted; }

int TestServer::completed_handshakes() const { return implementation_->handshakes; }

std::vector<std::string> TestServer::server_names() const {
  std::lock_guard<std::mutex> lock(implementation_->mutex);
  return implementation_->server_names;
}

std::vector<ReceivedRequest> TestServer::requests() const {
  std::lock_guard<std::mutex> lock(implementation_->mutex);
  return implementation_->received;
}

}  // namespace alliance::fhir::testing
