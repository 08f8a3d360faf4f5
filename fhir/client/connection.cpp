#include "client/connection.hpp"

#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "client/io_context_wake.hpp"

namespace alliance::fhir::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// Interim (1xx) responses accepted before the final one; more means a broken server.
constexpr int interim_response_limit = 8;

http::verb verb_of(HttpMethod method) {
  switch (method) {
    case HttpMethod::post:
      return http::verb::post;
    case HttpMethod::put:
      return http::verb::put;
    case HttpMethod::get:
      break;
  }
  return http::verb::get;
}

http::request<http::string_body> message_of(const OutgoingRequest& request) {
  http::request<http::string_body> message{verb_of(request.method), request.target, 11};
  for (const HttpHeader& header : request.headers) message.set(header.name, header.value);
  message.body() = request.body;
  message.prepare_payload();  // Content-Length
  return message;
}

HttpResponse response_of(http::response<http::string_body>&& message) {
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& character : name) character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
    const std::string value(field.value());
    auto [position, inserted] = response.headers.try_emplace(std::move(name), value);
    if (!inserted) position->second += ", " + value;
  }
  response.body = std::move(message.body());
  return response;
}

StepOutcome failure_of(HttpErrorKind kind, std::string message) {
  StepOutcome outcome;
  outcome.error = kind;
  outcome.message = std::move(message);
  return outcome;
}


// getaddrinfo's answer as the error codes Asio's resolver would have given.
error_code lookup_error(int status, int system_error) {
  switch (status) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
      return asio::error::host_not_found;
    case EAI_AGAIN:
      return asio::error::host_not_found_try_again;
    case EAI_SERVICE:
      return asio::error::service_not_found;
    case EAI_FAMILY:
      return asio::error::address_family_not_supported;
    case EAI_SOCKTYPE:
      return asio::error::socket_type_not_supported;
    case EAI_MEMORY:
      return asio::error::no_memory;
    case EAI_FAIL:
      return asio::error::no_recovery;
    case EAI_SYSTEM:
      return error_code(system_error, boost::system::system_category());
    default:
      return asio::error::invalid_argument;
  }
}

// Name lookups on threads of their own, detached. getaddrinfo cannot be interrupted,
// and Asio's resolver runs it on a thread that the io_context joins when it goes: a
// lookup that hangs (a DNS server that never answers) then held the plugin's
// shutdown past its bound (issue 12). Here nobody waits for a lookup: its answer is
// posted to the io_context while that still exists, and dropped once it is gone (this
// service's shutdown, which runs before the io_context drops its queued handlers).
// The plugin library is linked -z nodelete, so that a lookup thread still running at
// exit never returns into unloaded code.
class DetachedLookups : public asio::execution_context::service {
 public:
  using Done = std::function<void(error_code, std::vector<tcp::endpoint>)>;
  static inline asio::execution_context::id id;

  explicit DetachedLookups(asio::execution_context& context)
      : asio::execution_context::service(context), registry_(std::make_shared<Registry>()) {
    registry_->io_context = &context;  // always an io_context: see Connection::Implementation
  }

  // `done` runs on `executor`'s io_context, unless that has gone first. It must not own
  // anything of the io_context (it may be destroyed on the lookup's thread).
  void resolve(asio::any_io_executor executor, std::string host, std::string port, int flags, Done done) {
    std::thread([registry = registry_, executor = std::move(executor), host = std::move(host), port = std::move(port),
                 flags, done = std::move(done)]() mutable {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      hints.ai_protocol = IPPROTO_TCP;
      hints.ai_flags = flags;
      addrinfo* list = nullptr;
      const int status = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
      error_code error;
      std::vector<tcp::endpoint> endpoints;
      if (status != 0) {
        error = lookup_error(status, errno);
      } else {
        for (const addrinfo* entry = list; entry != nullptr; entry = entry->ai_next) {
          if ((entry->ai_family != AF_INET && entry->ai_family != AF_INET6) || entry->ai_addr == nullptr) continue;
          tcp::endpoint endpoint;
          if (entry->ai_addrlen > endpoint.capacity()) continue;
          std::memcpy(endpoint.data(), entry->ai_addr, entry->ai_addrlen);
          endpoint.resize(entry->ai_addrlen);
          endpoints.push_back(endpoint);
        }
        ::freeaddrinfo(list);
        if (endpoints.empty()) error = asio::error::host_not_found;
      }
      const std::lock_guard<std::mutex> lock(registry->mutex);
      if (!registry->open) return;  // the io_context is going: nobody waits for this answer
      asio::post(executor, [done = std::move(done), error, endpoints = std::move(endpoints)]() mutable {
        done(error, std::move(endpoints));
      });
      wake_io_context_owner(static_cast<asio::io_context*>(registry->io_context));
    }).detach();
  }

 private:
  struct Registry {
    std::mutex mutex;
    bool open = true;
    asio::execution_context* io_context = nullptr;
  };
  void shutdown() override {
    const std::lock_guard<std::mutex> lock(registry_->mutex);
    registry_->open = false;
  }
  std::shared_ptr<Registry> registry_;
};

}  // namespace

struct Connection::Implementation : std::enable_shared_from_this<Connection::Implementation> {
  Implementation(asio::io_context& io_context, ssl::context& tls, const ConnectionSettings& connection_settings)
      : settings(connection_settings),
        lookups(asio::use_service<DetachedLookups>(io_context)),
        resolve_timer(io_context),
        stream(io_context.get_executor(), tls) {}

  ConnectionSettings settings;
  DetachedLookups& lookups;
  asio::steady_timer resolve_timer;
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  std::optional<http::response_parser<http::string_body>> parser;
  // Opening a tunnel through the proxy: the CONNECT request (it may carry the proxy
  // credentials, so it is dropped once written) and the parser of the proxy's answer.
  http::request<http::empty_body> connect_request;
  std::optional<http::response_parser<http::empty_body>> connect_parser;
  beast::flat_buffer connect_buffer;
  OpenCallback open_done;
  ExchangeCallback exchange_done;
  std::string certificate_problem;  // set by the verify callback when it refuses
  int interim_responses = 0;
  bool resolving = false;
  bool closed = false;

  FailureContext failure_context(std::chrono::milliseconds step_timeout) const {
    FailureContext context;
    context.server = settings.server.server;
    context.step_timeout = step_timeout;
    context.response_limit_bytes = settings.response_limit_bytes;
    context.header_limit_bytes = settings.header_limit_bytes;
    return context;
  }

  // For the steps that reach the next hop: the proxy when there is one, else the server.
  FailureContext first_hop_context(std::chrono::milliseconds step_timeout) const {
    FailureContext context = failure_context(step_timeout);
    if (settings.proxy) {
      context.server = "the proxy " + settings.proxy->server;
      context.url_setting = "proxy_url";
    }
    return context;
  }

  // ---- Opening: resolve, connect, handshake ------------------------------------------

  void open(OpenCallback done) {
    open_done = std::move(done);
    if (!configure_peer_verification()) {
      // Reported on a later turn, like every other outcome: callers rely on never
      // being called back from inside open().
      asio::post(stream.get_executor(), [self = shared_from_this()] {
        self->finish_open(failure_of(HttpErrorKind::tls_handshake,
                                     "could not set up TLS host name verification for " + self->settings.server.server));
      });
      return;
    }
    // A lookup in progress cannot be interrupted (getaddrinfo), so the deadline
    // reports the timeout itself and the late answer is ignored.
    resolving = true;
    resolve_timer.expires_after(settings.timeouts.resolve);
    resolve_timer.async_wait([self = shared_from_this()](const error_code& error) { self->on_resolve_deadline(error); });
    // Through a proxy, only the proxy's name is resolved here; the proxy resolves the
    // server's.
    const std::string& host = settings.proxy ? settings.proxy->host : settings.server.host;
    const std::string& port = settings.proxy ? settings.proxy->port : settings.server.port;
    const bool host_is_ip_address = settings.proxy ? settings.proxy->host_is_ip_address : settings.server.host_is_ip_address;
    const int flags = host_is_ip_address ? AI_NUMERICHOST | AI_NUMERICSERV : AI_NUMERICSERV;
    // Weak: the lookup's thread may outlive the io_context, and must not be the one
    // that destroys this connection's sockets and timers.
    const std::weak_ptr<Implementation> weak_self = weak_from_this();
    try {
      lookups.resolve(stream.get_executor(), host, port, flags,
                      [weak_self](error_code error, std::vector<tcp::endpoint> endpoints) {
                        if (auto self = weak_self.lock()) self->on_resolved(error, std::move(endpoints));
                      });
    } catch (const std::system_error& failure) {
      // No thread for the lookup (resources exhausted): reported like any lookup failure.
      asio::post(stream.get_executor(), [weak_self, code = failure.code()] {
        if (auto self = weak_self.lock()) self->on_resolved(code, {});
      });
    }
  }

  // The chain is verified by OpenSSL against the CA bundle; the host name check is
  // added here, per connection: OpenSSL's own (so that its verify error names the
  // reason, "hostname mismatch") and Asio's host_name_verification on top of it.
  bool configure_peer_verification() {
    SSL* handle = stream.native_handle();
    const std::string& host = settings.server.host;
    if (settings.server.host_is_ip_address) {
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), host.c_str()) != 1) return false;
    } else {
      if (SSL_set1_host(handle, host.c_str()) != 1) return false;
      // SNI: a server hosting several names picks its certificate by it (not sent
      // for IP addresses, RFC 6066).
      if (SSL_set_tlsext_host_name(handle, host.c_str()) != 1) return false;
    }
    error_code failure;
    stream.set_verify_mode(ssl::verify_peer, failure);
    if (failure) return false;
    stream.set_verify_callback(
        [this, verification = ssl::host_name_verification(host)](bool preverified, ssl::verify_context& context) {
          const bool accepted = verification(preverified, context);
          if (!accepted && certificate_problem.empty()) certificate_problem = describe_refusal(context);
          return accepted;
        },
        failure);
    return !failure;
  }

  std::string describe_refusal(ssl::verify_context& context) const {
    const int code = X509_STORE_CTX_get_error(context.native_handle());
    if (code == X509_V_OK) return "the certificate is not issued for " + settings.server.host;
    std::string reason = X509_verify_cert_error_string(code);
    if (code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      reason += " (the certificate is not issued for " + settings.server.host + ")";
    }
    return reason;
  }

  void on_resolve_deadline(const error_code& error) {
    if (error || closed || !resolving) return;  // cancelled: the lookup answered in time
    resolving = false;
    finish_open(describe_failure(TransportStep::resolve, beast::error::timeout, first_hop_context(settings.timeouts.resolve)));
  }

  void on_resolved(const error_code& error, std::vector<tcp::endpoint> endpoints) {
    if (closed || !resolving) return;
    resolving = false;
    resolve_timer.cancel();
    if (error) {
      return finish_open(describe_failure(TransportStep::resolve, error, first_hop_context(settings.timeouts.resolve)));
    }
    // One deadline for trying every address the name resolved to.
    beast::get_lowest_layer(stream).expires_after(settings.timeouts.connect);
    beast::get_lowest_layer(stream).async_connect(
        endpoints, [self = shared_from_this()](const error_code& connect_error, const tcp::endpoint&) {
          self->on_connected(connect_error);
        });
  }

  void on_connected(const error_code& error) {
    if (closed) return;
    if (error) {
      return finish_open(describe_failure(TransportStep::connect, error, first_hop_context(settings.timeouts.connect)));
    }
    if (settings.proxy) return send_connect();
    start_handshake();
  }

  // ---- Through a proxy: CONNECT host:port, then TLS inside the tunnel ----------------

  void send_connect() {
    // Authority form: the server's host (brackets around IPv6) and port, nothing of the
    // base path; the Host header repeats it (RFC 9110, 9.3.6).
    connect_request = {};
    connect_request.method(http::verb::connect);
    connect_request.target(settings.server.server);
    connect_request.version(11);
    connect_request.set(http::field::host, settings.server.server);
    connect_request.set(http::field::user_agent, user_agent());
    if (!settings.proxy->authorization.empty()) {
      connect_request.set(http::field::proxy_authorization, settings.proxy->authorization);
    }
    beast::get_lowest_layer(stream).expires_after(settings.timeouts.write);
    http::async_write(beast::get_lowest_layer(stream), connect_request,
                      [self = shared_from_this()](const error_code& error, std::size_t) { self->on_connect_sent(error); });
  }

  void on_connect_sent(const error_code& error) {
    connect_request = {};  // the credentials: not kept once sent
    if (closed) return;
    if (error) {
      return finish_open(describe_proxy_failure(TransportStep::write, error, first_hop_context(settings.timeouts.write)));
    }
    // The answer's header only: a 2xx answer to CONNECT has no body (the tunnel starts
    // right after it) whatever its headers claim, and another answer ends the attempt.
    connect_parser.emplace();
    connect_parser->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(settings.header_limit_bytes, std::numeric_limits<std::uint32_t>::max())));
    beast::get_lowest_layer(stream).expires_after(settings.timeouts.read);
    http::async_read_header(beast::get_lowest_layer(stream), connect_buffer, *connect_parser,
                            [self = shared_from_this()](const error_code& read_error, std::size_t) {
                              self->on_connect_answered(read_error);
                            });
  }

  void on_connect_answered(const error_code& error) {
    if (closed) return;
    if (error) {
      connect_parser.reset();
      return finish_open(describe_proxy_failure(TransportStep::read, error, first_hop_context(settings.timeouts.read)));
    }
    const unsigned status = connect_parser->get().result_int();
    connect_parser.reset();
    if (status < 200 || status >= 300) {
      return finish_open(describe_proxy_refusal(status, settings.proxy->server, settings.server.server,
                                                !settings.proxy->authorization.empty()));
    }
    // The server speaks only after our ClientHello: anything already here came from the
    // proxy and would corrupt the TLS session.
    if (connect_buffer.size() != 0) {
      return finish_open(failure_of(HttpErrorKind::proxy, "the proxy " + settings.proxy->server +
                                                              " sent more than its answer to CONNECT"));
    }
    connect_buffer = {};
    start_handshake();
  }

  // ---- TLS with the server (directly or through the tunnel) ----------------------------

  void start_handshake() {
    beast::get_lowest_layer(stream).expires_after(settings.timeouts.tls_handshake);
    stream.async_handshake(ssl::stream_base::client,
                           [self = shared_from_this()](const error_code& handshake_error) { self->on_handshake(handshake_error); });
  }

  void on_handshake(const error_code& error) {
    if (closed) return;
    if (error) {
      FailureContext context = failure_context(settings.timeouts.tls_handshake);
      context.certificate_problem = certificate_problem;
      const long verify_result = SSL_get_verify_result(stream.native_handle());
      if (context.certificate_problem.empty() && verify_result != X509_V_OK) {
        context.certificate_problem = X509_verify_cert_error_string(verify_result);
      }
      return finish_open(describe_failure(TransportStep::tls_handshake, error, context));
    }
    // Idle until the first exchange sets its own deadline.
    beast::get_lowest_layer(stream).expires_never();
    finish_open(StepOutcome{});
  }

  void finish_open(StepOutcome outcome) {
    if (outcome.error != HttpErrorKind::none) close_socket();
    OpenCallback done = std::move(open_done);
    open_done = nullptr;
    if (done) done(std::move(outcome));
  }

  // ---- One exchange: write the request, read the response ----------------------------

  void exchange(const OutgoingRequest& outgoing, ExchangeCallback done) {
    exchange_done = std::move(done);
    request = message_of(outgoing);
    interim_responses = 0;
    // A deadline before every operation: one left over from an earlier operation
    // would already have passed and fail this one at once.
    beast::get_lowest_layer(stream).expires_after(settings.timeouts.write);
    http::async_write(stream, request,
                      [self = shared_from_this()](const error_code& error, std::size_t) { self->on_written(error); });
  }

  void on_written(const error_code& error) {
    if (closed) return;
    if (error) {
      return finish_exchange(describe_failure(TransportStep::write, error, failure_context(settings.timeouts.write)));
    }
    // One deadline for the whole response (interim ones included): a server that
    // trickles bytes cannot hold the queue longer than the read timeout.
    beast::get_lowest_layer(stream).expires_after(settings.timeouts.read);
    read_response();
  }

  void read_response() {
    parser.emplace();
    parser->body_limit(static_cast<std::uint64_t>(settings.response_limit_bytes));
    parser->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(settings.header_limit_bytes, std::numeric_limits<std::uint32_t>::max())));
    http::async_read(stream, buffer, *parser,
                     [self = shared_from_this()](const error_code& error, std::size_t) { self->on_read(error); });
  }

  void on_read(const error_code& error) {
    if (closed) return;
    if (error) {
      FailureContext context = failure_context(settings.timeouts.read);
      context.response_started = interim_responses > 0 || parser->got_some();
      return finish_exchange(describe_failure(TransportStep::read, error, context));
    }
    const unsigned status = parser->get().result_int();
    if (status == 101) {
      return finish_exchange(failure_of(HttpErrorKind::protocol, "the server " + settings.server.server +
                                                                     " switched protocols, which was never asked for"));
    }
    if (status >= 100 && status < 200) {
      if (++interim_responses > interim_response_limit) {
        return finish_exchange(failure_of(HttpErrorKind::protocol,
                                          "the server " + settings.server.server + " sent too many interim responses"));
      }
      return read_response();
    }
    // Idle from now on (maybe in the pool): no deadline may be left to expire.
    beast::get_lowest_layer(stream).expires_never();
    ExchangeOutcome outcome;
    // Reuse only when the server allows it (keep_alive() is false when the body ran
    // to the end of the connection) and nothing unexpected follows the response.
    outcome.reusable = parser->keep_alive() && buffer.size() == 0;
    outcome.response = response_of(parser->release());
    parser.reset();
    finish_exchange(std::move(outcome));
  }

  void finish_exchange(StepOutcome failure) {
    ExchangeOutcome outcome;
    outcome.failure = std::move(failure);
    finish_exchange(std::move(outcome));
  }

  void finish_exchange(ExchangeOutcome outcome) {
    if (outcome.failure.error != HttpErrorKind::none) close_socket();
    parser.reset();
    request = {};  // the body is PHI: do not keep it around longer than needed
    ExchangeCallback done = std::move(exchange_done);
    exchange_done = nullptr;
    if (done) done(std::move(outcome));
  }

  // ---- Closing ------------------------------------------------------------------------

  void close_socket() {
    resolving = false;
    resolve_timer.cancel();
    beast::get_lowest_layer(stream).close();  // pending operations complete with operation_aborted
  }

  void close() {
    if (closed) return;
    closed = true;
    open_done = nullptr;
    exchange_done = nullptr;
    close_socket();
  }
};

Connection::Connection(asio::io_context& io_context, ssl::context& tls, const ConnectionSettings& settings)
    : state_(std::make_shared<Implementation>(io_context, tls, settings)) {}

Connection::~Connection() { state_->close(); }

void Connection::open(OpenCallback done) { state_->open(std::move(done)); }

void Connection::exchange(const OutgoingRequest& request, ExchangeCallback done) {
  state_->exchange(request, std::move(done));
}

void Connection::close() { state_->close(); }

}  // namespace alliance::fhir::detail
