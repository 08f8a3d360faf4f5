// The HTTPS client the plugin uses to talk to the FHIR server (the EHR).
//
// Asynchronous: send() returns at once and the callback runs later on the io_context
// the client was created with (the plugin's worker thread). Results are values: a
// transport failure is an HttpResult with an error kind and a message for clinic IT,
// never an exception. TLS 1.2 or newer, and the server's certificate chain and host
// name are always verified; there is deliberately no way to turn that off, not even
// through a proxy: the proxy only relays bytes of a TLS session it cannot read.
//
// Privacy: messages name the server and the step that failed, never a request or
// response body, a header value or the request target (any of them may carry PHI or
// credentials).
//
// Only std types here: Boost.Asio, Beast and OpenSSL stay inside the .cpp files.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace alliance::fhir {

// Why a request did not produce an HTTP response. `none` means a response arrived,
// whatever its status: a 4xx or 5xx is the server's answer, not a transport failure.
enum class HttpErrorKind {
  none,
  invalid_url,           // the request target cannot be part of a URL
  invalid_request,       // an extra header the client cannot send (bad name or value, or one it manages)
  resolve,               // the server's host name could not be resolved
  connect,               // no TCP connection (refused, unreachable)
  tls_handshake,         // TLS failed for another reason than our verdict on the certificate
  certificate_rejected,  // the server's certificate is not trusted or not for this host name
  write,                 // sending the request failed
  read,                  // receiving the response failed (closed or reset midway)
  timeout,               // a step took longer than its configured timeout
  response_too_large,    // the response exceeds response_limit_bytes (or its headers, header_limit_bytes)
  protocol,              // the server's answer is not valid HTTP/1.1
  cancelled,             // cancel_all() was called before the request completed
  // Added after the first release: new values only ever go at the end.
  proxy,                 // the HTTP proxy did not open a tunnel: it refused CONNECT (407, 403, 502, ...) or broke the exchange
};

// The enumerator's name ("certificate_rejected"), for logs and tests.
const char* to_string(HttpErrorKind kind);

enum class HttpMethod { get, post, put };

struct HttpHeader {
  std::string name;
  std::string value;  // never logged, never put into a message (it may be a credential)
};

struct HttpRequest {
  HttpMethod method = HttpMethod::get;
  // Path and query relative to the base URL, already percent-encoded: "" is the base
  // URL itself (a transaction Bundle is POSTed there), "Observation?subject=Patient/1"
  // a search. A leading '/' is ignored and "." or ".." segments are refused
  // (invalid_url): the target never leaves the base path.
  std::string target;
  std::string body;
  // Added after the defaults (Accept and, with a body, Content-Type
  // application/fhir+json; User-Agent alliance/<version>); one with the name of a
  // default replaces it. Host, Content-Length, Connection and the other framing
  // headers are the client's own and are refused (invalid_request).
  std::vector<HttpHeader> extra_headers;
};

struct HttpResponse {
  int status = 0;
  // Every response header, by lower-case name ("content-type", "location",
  // "retry-after", "etag"). A repeated header's values are joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;
};

struct HttpResult {
  HttpErrorKind error = HttpErrorKind::none;
  std::string message;    // empty on success; otherwise what failed, in words for clinic IT
  HttpResponse response;  // meaningful only when error is none

  bool ok() const { return error == HttpErrorKind::none; }
};

// Every step has its own deadline, so that a dead or stalled server never holds the
// queue for longer than the sum of these.
struct HttpsTimeouts {
  std::chrono::milliseconds resolve{10'000};
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds tls_handshake{10'000};
  std::chrono::milliseconds write{10'000};  // the whole request
  std::chrono::milliseconds read{10'000};   // the whole response, from after the write
  // A kept-alive connection unused for longer is closed instead of reused: servers
  // drop idle connections after a while, and a fresh one is cheaper than a retry.
  std::chrono::milliseconds idle_connection{30'000};
};

struct HttpsClientSettings {
  // https://host[:port][/path], e.g. https://ehr.example.org/fhir/R4. http:// is
  // refused: health data never travels in clear text.
  std::string base_url;
  // PEM file with the CA certificates to trust; empty: the system's default store.
  std::string ca_file;
  // PEM files for mutual TLS, both or neither: the certificate (chain) and its key.
  std::string client_certificate_file;
  std::string client_key_file;
  HttpsTimeouts timeouts;
  std::size_t response_limit_bytes = 8 * 1024 * 1024;  // body
  std::size_t header_limit_bytes = 64 * 1024;          // status line and headers (also of the proxy's answer)

  // An HTTP proxy to reach the server through (HTTP CONNECT): http://host[:port], the
  // port 80 when none is given; empty: connect to the server directly. Only http://:
  // the CONNECT request goes to the proxy in clear text (it names the server's host
  // and port, nothing else), then the TLS session with the server runs through the
  // tunnel end to end, verifying the server's certificate and host name as without a
  // proxy. The resolve and connect timeouts apply to the proxy; CONNECT is sent under
  // the write timeout and its answer read under the read timeout.
  std::string proxy_url;
  // Basic Proxy-Authorization on CONNECT when proxy_username is set (it must not
  // contain ':'). Never logged, never put into a message. Credentials do not go into
  // proxy_url (user@host is refused).
  std::string proxy_username;
  std::string proxy_password;
};

class HttpsClient;

// What create() produced: a client, or (client null) why not, for clinic IT.
struct HttpsClientCreation {
  std::unique_ptr<HttpsClient> client;
  std::string error;
};

// Requests run one after another, in the order sent, over one kept-alive connection
// (the API leaves room for a small pool later). A kept-alive connection that the
// server closed while it was idle is noticed on the next request and that request is
// retried once on a fresh connection; no other failure is retried here (retry with
// backoff is the caller's policy).
//
// Threading: send() and cancel_all() may be called from any thread. The io_context
// must be run by one thread (the plugin's worker) and must outlive the client.
// Callbacks run on that thread and must not throw (an exception is dropped).
class HttpsClient {
 public:
  using Callback = std::function<void(HttpResult)>;

  // `io_context` is the worker's type-erased boost::asio::io_context
  // (Worker::io_context_handle()). Checks the settings and reads the certificate
  // files now, so that a configuration mistake is reported at startup.
  static HttpsClientCreation create(void* io_context, const HttpsClientSettings& settings);

  // Safe while requests are in flight or queued: they are abandoned and their
  // callbacks never run once the destructor has returned (if a callback is running
  // on the io_context thread meanwhile, the destructor waits for it). It may be called
  // from inside a callback, and after the io_context has been stopped.
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Queues the request; `callback` runs exactly once with the result (unless the
  // client is destroyed first).
  void send(HttpRequest request, Callback callback);

  // Every request sent before this call that has not completed yet completes with
  // `cancelled`, the one in flight included (its connection is closed).
  void cancel_all();

 private:
  struct Implementation;
  explicit HttpsClient(std::unique_ptr<Implementation> implementation);
  std::unique_ptr<Implementation> implementation_;
};

}  // namespace alliance::fhir
