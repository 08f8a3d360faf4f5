// A tiny HTTP CONNECT proxy inside the test process, for the FHIR client's proxy
// tests: plain Asio and Beast on 127.0.0.1, an ephemeral port, its own thread. It
// records every CONNECT (target, Host, Proxy-Authorization), then tunnels bytes both
// ways, or refuses as the test asks.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace alliance::fhir::testing {

enum class ProxyBehaviour {
  tunnel,                // answer 200 and relay bytes (after the credentials check, if any)
  refuse,                // answer refuse_status to every CONNECT
  never_answer,          // read the CONNECT, then stay silent with the connection open
  close_without_answer,  // read the CONNECT, then close the connection
};

struct TestProxyOptions {
  ProxyBehaviour behaviour = ProxyBehaviour::tunnel;
  int refuse_status = 403;
  // When set, a CONNECT whose Proxy-Authorization is not exactly this value gets 407
  // with Proxy-Authenticate: Basic.
  std::optional<std::string> required_authorization;
};

struct ReceivedConnect {
  std::string method;
  std::string target;                              // "localhost:8443"
  std::string host;                                // the Host header
  std::optional<std::string> proxy_authorization;  // the header, when sent
  int status = 0;                                  // what the proxy answered (0: nothing)
};

class TestProxy {
 public:
  explicit TestProxy(TestProxyOptions options = {});
  ~TestProxy();  // stops the thread; open tunnels are dropped
  TestProxy(const TestProxy&) = delete;
  TestProxy& operator=(const TestProxy&) = delete;

  unsigned short port() const;
  int accepted_connections() const;
  std::vector<ReceivedConnect> connects() const;

 private:
  struct Implementation;
  std::unique_ptr<Implementation> implementation_;
};

// "Basic " and the base64 of "user:password", as a client sends it.
std::string basic_authorization(const std::string& user, const std::string& password);

}  // namespace alliance::fhir::testing
