// Every step has a deadline: a server that stalls anywhere costs at most that step's
// timeout, and the result says which step it was.
#include <doctest/doctest.h>

#include "client_runner.hpp"
#include "client/https_client.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;
using namespace std::chrono_literals;

namespace {

struct TimedResult {
  std::optional<HttpResult> result;
  std::chrono::milliseconds elapsed;
};

TimedResult timed_get(HttpsClient& client) {
  const auto started = std::chrono::steady_clock::now();
  std::optional<HttpResult> result = send_and_wait(client, get_request());
  return {std::move(result),
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)};
}

}  // namespace

TEST_SUITE("fhir_client") {
  TEST_CASE("a server that never answers times out within the read timeout") {
    TestServerOptions options;
    options.behaviour = ServerBehaviour::never_answer;
    TestServer server(options);
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.timeouts.read = 300ms;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    TimedResult timed = timed_get(*creation.client);
    REQUIRE(timed.result);
    CHECK(timed.result->error == HttpErrorKind::timeout);
    CHECK_MESSAGE(timed.result->message.find("within 300 ms") != std::string::npos, timed.result->message);
    CHECK(timed.elapsed >= 300ms);
    CHECK(timed.elapsed < 1500ms);
    CHECK(server.requests().size() == 1);
  }

  TEST_CASE("a response trickling in for longer than the read timeout times out") {
    TestServerOptions options;
    options.behaviour = ServerBehaviour::trickle;
    options.body = std::string(40, 'x');
    options.trickle_interval = 50ms;  // 2 s for the whole body
    TestServer server(options);
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.timeouts.read = 300ms;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    TimedResult timed = timed_get(*creation.client);
    REQUIRE(timed.result);
    CHECK(timed.result->error == HttpErrorKind::timeout);
    CHECK(timed.elapsed < 1500ms);
  }

  TEST_CASE("a server that accepts but never starts TLS times out in the handshake") {
    TestServerOptions options;
    options.behaviour = ServerBehaviour::silent_before_handshake;
    TestServer server(options);
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.timeouts.tls_handshake = 300ms;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    TimedResult timed = timed_get(*creation.client);
    REQUIRE(timed.result);
    CHECK(timed.result->error == HttpErrorKind::timeout);
    CHECK_MESSAGE(timed.result->message.find("TLS handshake") != std::string::npos, timed.result->message);
    CHECK(timed.elapsed < 1500ms);
  }

  TEST_CASE("a port nobody listens on is a connect error") {
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(unused_port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    TimedResult timed = timed_get(*creation.client);
    REQUIRE(timed.result);
    CHECK(timed.result->error == HttpErrorKind::connect);
    CHECK_MESSAGE(timed.result->message.find("could not connect to localhost:") != std::string::npos,
                  timed.result->message);
  }

  TEST_CASE("a host name that does not resolve is a resolve error") {
    ClientThread thread;
    HttpsClientSettings settings = settings_for(443);
    settings.base_url = "https://alliance-test.invalid/fhir";  // .invalid never resolves (RFC 6761)
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    TimedResult timed = timed_get(*creation.client);
    REQUIRE(timed.result);
    // Without DNS at all the lookup may also run out of time; either way, no connection.
    CHECK_MESSAGE((timed.result->error == HttpErrorKind::resolve || timed.result->error == HttpErrorKind::timeout),
                  timed.result->message);
  }
}
