#include "live_server.hpp"

#include "abi_names.hpp"
#include "live_page.hpp"
#include "live_session.hpp"
#include "page_keys.hpp"
#include "page_target.hpp"
#include "timing_trace.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <charconv>
#include <csignal>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace host_sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Requests are small GETs; anything larger is not from the pages.
constexpr std::uint32_t largest_request_bytes = 16 * 1024;
constexpr std::chrono::seconds request_time_limit{30};
// With --port 0 the first loopback picks a free port and the second must get the same
// one, which another program may hold there: that many tries with new ports.
constexpr int listen_tries = 10;

// The addresses a --bind value stands for: "localhost" both loopbacks, since a client
// may try either first (Debian's /etc/hosts names localhost for 127.0.0.1 and ::1, and
// Node 18 tries only the first answer); "127.0.0.1" or "::1" that one alone.
std::vector<asio::ip::address> loopbacks_for(std::string_view bind_address) {
  if (bind_address == "localhost") {
    return {asio::ip::address_v4::loopback(), asio::ip::address_v6::loopback()};
  }
  error_code error;
  asio::ip::address address = asio::ip::make_address(bind_address, error);
  if (error || !address.is_loopback()) return {};
  return {address};
}

// An address as the host part of a URL: IPv6 in brackets.
std::string url_host(const asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}

class Server;

// One page's WebSocket. Lives while a read or write is pending; the Server keeps a
// weak reference to reach it.
class PageSocket : public std::enable_shared_from_this<PageSocket> {
 public:
  PageSocket(tcp::socket socket, Server& server, ConnectionId connection, std::string participant_id)
      : stream_(std::move(socket)),
        server_(server),
        connection_(connection),
        participant_id_(std::move(participant_id)) {}

  void accept(Request request);
  // `written_event`: marked in the timing trace once the text is written.
  void send(std::string text, std::string_view written_event = {});
  void close();

 private:
  void read();
  void write_next();

  websocket::stream<beast::tcp_stream> stream_;
  Server& server_;
  ConnectionId connection_;
  std::string participant_id_;
  beast::flat_buffer buffer_;
  std::deque<std::pair<std::string, std::string_view>> outgoing_;  // text, written_event
  bool open_ = false;
};

// One HTTP connection: serves pages, or hands an upgrade to a PageSocket.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(tcp::socket socket, Server& server) : stream_(std::move(socket)), server_(server) {}
  void read();

 private:
  void on_read(error_code error);

  beast::tcp_stream stream_;
  Server& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

class Server {
 public:
  Server(asio::io_context& io, const ScenarioSession& session, const thp_plugin_api& plugin,
         Host& host, Transcript& transcript, HookWatchdog& watchdog,
         const LiveServerSettings& settings, PageKeys keys)
      : io_(io),
        signals_(io, SIGINT, SIGTERM),
        transcript_(transcript),
        host_(host),
        keys_(std::move(keys)),
        trace_(transcript, settings.trace_timing),
        live_(session, plugin, host, transcript, watchdog, settings.hook_limit, trace_) {}

  std::optional<std::string> listen(const LiveServerSettings& settings) {
    const std::vector<asio::ip::address> addresses = loopbacks_for(settings.bind_address);
    if (addresses.empty()) return "refusing to listen on a non-loopback address";
    std::optional<std::string> failure;
    for (int attempt = 0; attempt < listen_tries; ++attempt) {
      bool port_taken = false;
      failure = listen_on(addresses, settings.port, port_taken);
      if (!failure || !port_taken || settings.port != 0) break;
    }
    return failure;
  }

  std::uint16_t port() const { return port_; }

  // "http://127.0.0.1:PORT", or "http://[::1]:PORT" when only ::1 listens.
  std::string origin() const {
    return "http://" + url_host(acceptors_.front().local_endpoint().address()) + ":" +
           std::to_string(port_);
  }

  const PageKeys& keys() const { return keys_; }

  void run() {
    // Plugin threads wake the event loop; the wake-up runs on the host thread.
    host_.set_change_listener([this] {
      if (!wake_pending_.exchange(true)) {
        if (trace_.enabled()) woken_at_ = std::chrono::system_clock::now().time_since_epoch().count();
        asio::post(io_, [this] { pump(); });
      }
    });
    signals_.async_wait([this](error_code error, int signal_number) {
      if (error) return;
      transcript_.event("host: " + std::string(signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
                        " received; stopping");
      stop();
    });
    for (tcp::acceptor& acceptor : acceptors_) accept(acceptor);
    pump();
    io_.run();
    host_.set_change_listener(nullptr);
  }

  void stop() {
    error_code ignored;
    for (tcp::acceptor& acceptor : acceptors_) acceptor.close(ignored);
    signals_.cancel(ignored);
    io_.stop();
  }

  const std::vector<HookCall>& hook_calls() const { return live_.hook_calls(); }
  const TimingTrace& trace() const { return trace_; }

  // --- For the connections. ---

  // The reply to one HTTP request that is not a WebSocket upgrade; `written_event` is
  // what the timing trace marks once it is written ("" for nothing).
  Response respond(const Request& request, std::string_view& written_event);
  // Takes over the connection when `request` upgrades to a page's WebSocket.
  void upgrade(tcp::socket socket, Request request);

  void attach(ConnectionId connection, const std::shared_ptr<PageSocket>& socket,
              const std::string& participant_id) {
    sockets_[connection] = socket;
    if (!live_.connect(connection, participant_id)) socket->close();
    pump();
  }
  void detach(ConnectionId connection) {
    sockets_.erase(connection);
    live_.disconnect(connection);
    pump();
  }
  void receive(ConnectionId connection, std::string_view text) {
    live_.receive(connection, text);
    pump();
  }

 private:
  // Listens on each of `addresses` at one port (`port`, or the one the first picks when
  // it is 0). An address this machine lacks (no IPv6 loopback) is left out when another
  // one listens. `port_taken`: only the port was missing on a later address.
  std::optional<std::string> listen_on(const std::vector<asio::ip::address>& addresses,
                                       std::uint16_t port, bool& port_taken) {
    acceptors_.clear();
    port_ = port;
    for (const asio::ip::address& address : addresses) {
      tcp::acceptor acceptor(io_);
      const tcp::endpoint endpoint(address, port_);
      error_code error;
      acceptor.open(endpoint.protocol(), error);
      // ::1 only, not the IPv4-mapped addresses as well (127.0.0.1 has its own).
      if (!error && address.is_v6()) acceptor.set_option(asio::ip::v6_only(true), error);
      if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
      if (!error) acceptor.bind(endpoint, error);
      if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
      const bool missing_address =
          error == boost::system::errc::address_family_not_supported ||
          error == boost::system::errc::address_not_available;
      if (error && missing_address && addresses.size() > 1) {
        transcript_.event("host: not listening on " + address.to_string() + ": " + error.message());
        continue;
      }
      if (error) {
        port_taken = error == asio::error::address_in_use && !acceptors_.empty();
        acceptors_.clear();
        return "cannot listen on " + url_host(address) + ":" + std::to_string(port_) + ": " +
               error.message();
      }
      port_ = acceptor.local_endpoint().port();
      acceptors_.push_back(std::move(acceptor));
    }
    if (acceptors_.empty()) return "cannot listen on any loopback address";
    return std::nullopt;
  }

  void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](error_code error, tcp::socket socket) {
      if (error == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!error) {
        // Small messages each way, each awaited: sent at once, not held back by Nagle's
        // algorithm until the last one is acknowledged (which a delayed ACK can hold up).
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<HttpConnection>(std::move(socket), *this)->read();
      }
      accept(acceptor);
    });
  }

  // Runs the tasks the plugin queued, then tells the pages what changed.
  void pump() {
    const auto woken_at = woken_at_.exchange(0);
    wake_pending_ = false;
    if (woken_at != 0) {
      trace_.mark_at("plugin_woke_host",
                     TimingTrace::WallTime(TimingTrace::WallTime::duration(woken_at)));
    }
    host_.run_ready_tasks();
    for (PageMessage& message : live_.take_page_messages()) {
      auto socket = sockets_.find(message.connection);
      if (socket == sockets_.end()) continue;
      if (auto open = socket->second.lock()) open->send(std::move(message.text), message.written_event);
    }
  }

  // The Host header names this server ("127.0.0.1:PORT", "[::1]:PORT" or
  // "localhost:PORT"); any other name is a page of some other site reaching loopback
  // (DNS rebinding).
  std::optional<std::string> own_host(const Request& request) const {
    std::string_view named = request[http::field::host];
    for (std::string_view name : {"127.0.0.1", "[::1]", "localhost"}) {
      std::string expected = std::string(name) + ":" + std::to_string(port_);
      if (named == expected) return expected;
    }
    return std::nullopt;
  }

  // GET /panel/<session>/<participant>/<panel id>?key=KEY: one of that participant's
  // open panels; nothing when the path is not of that form. `written_event`: as respond's.
  std::optional<Response> panel_document(const Request& request, const PageTarget& target,
                                         std::string_view& written_event) const;

  // Whether `target` carries `participant`'s key.
  bool has_key_of(const ScenarioParticipant& participant, const PageTarget& target) const {
    return target.key && keys_.matches(participant.participant_id, *target.key);
  }

  const ScenarioParticipant* participant_at(std::string_view target, bool socket) const {
    for (const ScenarioParticipant& participant : live_.session().participants) {
      std::string path = socket ? participant_socket_path(live_.session().session_id,
                                                          participant.participant_id)
                                : participant_page_path(live_.session().session_id,
                                                        participant.participant_id);
      if (target == path) return &participant;
    }
    return nullptr;
  }

  asio::io_context& io_;
  // One per loopback address, all at the same port. A list, not a vector: accept()
  // holds references to its elements.
  std::list<tcp::acceptor> acceptors_;
  asio::signal_set signals_;
  Transcript& transcript_;
  Host& host_;
  const PageKeys keys_;
  const TimingTrace trace_;
  LiveSession live_;
  std::uint16_t port_ = 0;
  std::atomic<bool> wake_pending_{false};
  // When a plugin thread last woke the loop, in system_clock ticks (--trace-timing
  // only; 0: not since the last pump).
  std::atomic<TimingTrace::WallTime::rep> woken_at_{0};
  ConnectionId next_connection_ = 1;
  std::map<ConnectionId, std::weak_ptr<PageSocket>> sockets_;
};

Response plain_response(const Request& request, http::status status, std::string text) {
  Response response{status, request.version()};
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.set("X-Content-Type-Options", "nosniff");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(text) + "\n";
  response.prepare_payload();
  return response;
}

// The same answer for no key and a wrong one (someone else's included).
Response refused_without_key(const Request& request) {
  return plain_response(request, http::status::forbidden,
                        "this address needs its participant's key: open the page address "
                        "host-sim printed for that participant");
}

Response Server::respond(const Request& request, std::string_view& written_event) {
  std::optional<std::string> host = own_host(request);
  if (!host) return plain_response(request, http::status::misdirected_request, "unknown host name");
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    Response refused = plain_response(request, http::status::method_not_allowed, "only GET");
    refused.set(http::field::allow, "GET, HEAD");
    return refused;
  }
  const PageTarget target = read_page_target(request.target());
  if (!target.usable) {
    return plain_response(request, http::status::bad_request,
                          "an address here is /PATH or /PATH?key=KEY");
  }
  std::string nonce = make_nonce();
  std::string body;
  if (target.path == "/") {
    body = index_page(nonce);
  } else if (const ScenarioParticipant* viewer = participant_at(target.path, /*socket=*/false)) {
    if (!has_key_of(*viewer, target)) return refused_without_key(request);
    const std::string& key = keys_.key_of(viewer->participant_id);
    std::string socket_url =
        "ws://" + *host +
        participant_socket_path(live_.session().session_id, viewer->participant_id) +
        "?key=" + key;
    std::string standby_url =
        participant_panel_prefix(live_.session().session_id, viewer->participant_id) +
        std::string(standby_panel_name);
    body = participant_page(live_.session(), *viewer, socket_url, key, standby_url, nonce);
  } else if (std::optional<Response> panel = panel_document(request, target, written_event)) {
    return std::move(*panel);
  } else if (participant_at(target.path, /*socket=*/true) != nullptr) {
    return plain_response(request, http::status::upgrade_required, "a WebSocket endpoint");
  } else {
    return plain_response(request, http::status::not_found, "no such page");
  }
  Response response{http::status::ok, request.version()};
  response.set(http::field::content_type, "text/html; charset=utf-8");
  response.set("Content-Security-Policy",
               page_security_policy(nonce, "ws://" + *host));
  response.set(http::field::cache_control, "no-store");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set("Cross-Origin-Opener-Policy", "same-origin");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  if (request.method() == http::verb::head) response.body().clear();
  return response;
}

std::optional<Response> Server::panel_document(const Request& request, const PageTarget& target,
                                               std::string_view& written_event) const {
  for (const ScenarioParticipant& participant : live_.session().participants) {
    std::string prefix =
        participant_panel_prefix(live_.session().session_id, participant.participant_id);
    if (!target.path.starts_with(prefix)) continue;
    // A therapist's panel shows the client's scores: it is the therapist's alone.
    if (!has_key_of(participant, target)) return refused_without_key(request);
    std::string_view number = std::string_view(target.path).substr(prefix.size());
    thp_panel_id panel_id = 0;
    auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), panel_id);
    std::optional<std::string> html;
    if (number == standby_panel_name) {
      html = standby_panel_document();
    } else if (error == std::errc() && end == number.data() + number.size()) {
      html = live_.panel_html(participant.participant_id, panel_id);
      if (html) {
        const bool clinician = participant.role == THP_ROLE_CLINICIAN;
        trace_.mark(clinician ? "panel_document_requested.clinician"
                              : "panel_document_requested.client");
        written_event =
            clinician ? "panel_document_written.clinician" : "panel_document_written.client";
      }
    }
    if (!html) return plain_response(request, http::status::not_found, "no such open panel");
    Response response{http::status::ok, request.version()};
    response.set(http::field::content_type, "text/html; charset=utf-8");
    response.set("Content-Security-Policy", panel_security_policy());
    response.set(http::field::cache_control, "no-store");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "no-referrer");
    response.keep_alive(request.keep_alive());
    response.body() = std::move(*html);
    response.prepare_payload();
    if (request.method() == http::verb::head) response.body().clear();
    return response;
  }
  return std::nullopt;
}

void Server::upgrade(tcp::socket socket, Request request) {
  const PageTarget target = read_page_target(request.target());
  // The transcript names the path only: the query holds the participant's key.
  auto refuse = [&](http::status status, std::string why) {
    transcript_.event("host: refused a WebSocket for " +
                      (target.usable ? target.path : std::string("an unusable address")) + ": " +
                      why);
    auto response = std::make_shared<Response>(plain_response(request, status, why));
    response->keep_alive(false);
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    stream->expires_after(request_time_limit);
    http::async_write(*stream, *response, [stream, response](error_code, std::size_t) {
      error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  };
  std::optional<std::string> host = own_host(request);
  if (!host) return refuse(http::status::misdirected_request, "unknown host name");
  // A browser names the page that opens a WebSocket; only this server's own pages may,
  // under the name the request was sent to. (A program sends no Origin; it needs the
  // key all the same.)
  std::string_view origin = request[http::field::origin];
  if (!origin.empty() && origin != "http://" + *host) {
    return refuse(http::status::forbidden, "the origin is not this server");
  }
  if (!target.usable) return refuse(http::status::bad_request, "not /PATH?key=KEY");
  const ScenarioParticipant* viewer = participant_at(target.path, /*socket=*/true);
  if (viewer == nullptr) return refuse(http::status::not_found, "no such participant");
  if (!has_key_of(*viewer, target)) {
    return refuse(http::status::forbidden, target.key ? "not this participant's key" : "no key");
  }
  ConnectionId connection = next_connection_++;
  auto page = std::make_shared<PageSocket>(std::move(socket), *this, connection,
                                           viewer->participant_id);
  page->accept(std::move(request));
}

// --- PageSocket ---

void PageSocket::accept(Request request) {
  stream_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  stream_.read_message_max(largest_page_message_bytes);
  stream_.async_accept(request, [self = shared_from_this()](error_code error) {
    if (error) return;
    self->open_ = true;
    self->server_.attach(self->connection_, self, self->participant_id_);
    self->read();
  });
}

void PageSocket::read() {
  stream_.async_read(buffer_, [self = shared_from_this()](error_code error, std::size_t) {
    if (error) {
      // Closed, reset, or a message over the limit (Beast closes with "too big").
      self->open_ = false;
      self->server_.detach(self->connection_);
      return;
    }
    std::string text = beast::buffers_to_string(self->buffer_.data());
    self->buffer_.consume(self->buffer_.size());
    if (self->stream_.got_text()) {
      self->server_.receive(self->connection_, text);
    } else {
      self->server_.receive(self->connection_, "(a binary message)");
    }
    self->read();
  });
}

void PageSocket::send(std::string text, std::string_view written_event) {
  if (!open_) return;
  outgoing_.emplace_back(std::move(text), written_event);
  if (outgoing_.size() == 1) write_next();
}

void PageSocket::write_next() {
  stream_.text(true);
  stream_.async_write(asio::buffer(outgoing_.front().first),
                      [self = shared_from_this()](error_code error, std::size_t) {
                        if (error) {
                          self->open_ = false;
                          self->outgoing_.clear();
                          return;  // the pending read reports the closing
                        }
                        if (!self->outgoing_.front().second.empty()) {
                          self->server_.trace().mark(self->outgoing_.front().second);
                        }
                        self->outgoing_.pop_front();
                        if (!self->outgoing_.empty()) self->write_next();
                      });
}

void PageSocket::close() {
  if (!open_) return;
  open_ = false;
  stream_.async_close(websocket::close_code::policy_error,
                      [self = shared_from_this()](error_code) {});
}

// --- HttpConnection ---

void HttpConnection::read() {
  parser_.emplace();
  parser_->header_limit(largest_request_bytes);
  parser_->body_limit(largest_request_bytes);
  stream_.expires_after(request_time_limit);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](error_code error, std::size_t) { self->on_read(error); });
}

void HttpConnection::on_read(error_code error) {
  if (error) {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return;
  }
  Request request = parser_->release();
  if (websocket::is_upgrade(request)) {
    stream_.expires_never();
    server_.upgrade(stream_.release_socket(), std::move(request));
    return;
  }
  std::string_view written_event;
  auto response = std::make_shared<Response>(server_.respond(request, written_event));
  http::async_write(stream_, *response,
                    [self = shared_from_this(), response, written_event](error_code write_error,
                                                                         std::size_t) {
                      if (!write_error && !written_event.empty()) {
                        self->server_.trace().mark(written_event);
                      }
                      if (write_error || !response->keep_alive()) {
                        error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                        return;
                      }
                      self->read();
                    });
}

}  // namespace

LiveOutcome serve_live(const ScenarioSession& session, const thp_plugin_api& plugin, Host& host,
                       Transcript& transcript, HookWatchdog& watchdog,
                       const LiveServerSettings& settings, std::ostream& announcements) {
  LiveOutcome outcome;
  std::optional<PageKeys> keys = PageKeys::generate(session);
  if (!keys) {
    outcome.error = "cannot make the pages' keys: OpenSSL's random generator failed";
    return outcome;
  }
  asio::io_context io(1);
  Server server(io, session, plugin, host, transcript, watchdog, settings, std::move(*keys));
  if (std::optional<std::string> error = server.listen(settings)) {
    outcome.error = *error;
    return outcome;
  }
  const std::string origin = server.origin();
  for (const ScenarioParticipant& participant : session.participants) {
    announcements << "page " << participant.participant_id << " " << role_name(participant.role)
                  << " " << origin
                  << participant_page_path(session.session_id, participant.participant_id)
                  << "?key=" << server.keys().key_of(participant.participant_id) << "\n";
  }
  announcements << "ready " << origin << "/" << std::endl;
  server.run();
  outcome.served = true;
  outcome.hook_calls = server.hook_calls();
  return outcome;
}

}  // namespace host_sim
