// A real HTTPS server inside the test process, for the FHIR client's tests: Beast on
// 127.0.0.1, an ephemeral port, its own thread and io_context, and one behaviour per
// test (answer normally, never answer, trickle, send too much, reset midway, ...).
// It records what it accepted and received, so tests can check both ends.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace alliance::fhir::testing {

// The folder the test_certificates fixture fills (ca.pem, server.pem, ...).
std::string certificate_path(const std::string& file_name);

enum class ServerBehaviour {
  respond,                 // answer every request with the configured response
  never_answer,            // read the request, then stay silent with the connection open
  silent_before_handshake, // accept the TCP connection, never start TLS
  trickle,                 // send the headers, then the body one byte per trickle_interval
  oversized_body,          // send a chunked body of oversized_body_bytes
  reset_mid_response,      // send the headers and part of the body, then reset the connection
};

enum class ConnectionPersistence {
  keep_alive,           // HTTP/1.1 default: keep the connection for the next request
  close,                // answer with "Connection: close" and close
  drop_after_response,  // promise keep-alive, then close at once (a stale connection for the client)
};

struct TestServerOptions {
  std::string certificate = "server";  // <name>.pem and <name>.key in the certificate folder
  bool require_client_certificate = false;  // trusting ca.pem
  ServerBehaviour behaviour = ServerBehaviour::respond;
  ConnectionPersistence persistence = ConnectionPersistence::keep_alive;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/fhir+json"}};
  std::string body = R"({"resourceType":"OperationOutcome"})";
  std::chrono::milliseconds trickle_interval{100};
  std::size_t oversized_body_bytes = 0;
};

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options);
  ~TestServer();  // stops the thread; open connections are dropped
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  unsigned short port() const;
  int accepted_connections() const;
  int completed_handshakes() const;
  // The SNI host name of every completed handshake, in order ("" when none was sent).
  std::vector<std::string> server_names() const;
  std::vector<ReceivedRequest> requests() const;

 private:
  struct Implementation;
  std::unique_ptr<Implementation> implementation_;
};

// A port on 127.0.0.1 where nothing listens (bound once, then released).
unsigned short unused_port();

}  // namespace alliance::fhir::testing
