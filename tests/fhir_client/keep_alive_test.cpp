// Connection reuse: kept while the server allows it, replaced when it does not, and
// a connection the server dropped while idle is retried once without the caller
// noticing.
#include <doctest/doctest.h>

#include <thread>

#include "client_runner.hpp"
#include "client/https_client.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;

TEST_SUITE("fhir_client") {
  TEST_CASE("three sequential requests share one TCP connection") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    for (int index = 0; index < 3; ++index) {
      std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
      REQUIRE(result);
      REQUIRE_MESSAGE(result->ok(), result->message);
    }
    CHECK(server.requests().size() == 3);
    CHECK(server.accepted_connections() == 1);
  }

  TEST_CASE("after a Connection close answer the next request opens a new connection") {
    TestServerOptions options;
    options.persistence = ConnectionPersistence::close;
    TestServer server(options);
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    for (int index = 0; index < 2; ++index) {
      std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
      REQUIRE(result);
      REQUIRE_MESSAGE(result->ok(), result->message);
      CHECK(result->response.headers.at("connection") == "close");
    }
    CHECK(server.accepted_connections() == 2);
    CHECK(server.requests().size() == 2);
  }

  TEST_CASE("a kept-alive connection the server dropped while idle is retried once on a new connection") {
    TestServerOptions options;
    options.persistence = ConnectionPersistence::drop_after_response;
    TestServer server(options);
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> first = send_and_wait(*creation.client, get_request());
    REQUIRE(first);
    REQUIRE_MESSAGE(first->ok(), first->message);
    // The server has closed its end by now; the client still holds the connection.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));

    HttpRequest post;
    post.method = HttpMethod::post;
    post.body = R"({"resourceType":"Bundle"})";
    std::optional<HttpResult> second = send_and_wait(*creation.client, post);
    REQUIRE(second);
    CHECK_MESSAGE(second->ok(), second->message);
    CHECK(server.accepted_connections() == 2);
    // The request reached the server once: the stale connection never delivered it.
    const std::vector<ReceivedRequest> received = server.requests();
    REQUIRE(received.size() == 2);
    CHECK(received[1].body == post.body);
  }

  TEST_CASE("a connection idle for longer than the idle limit is replaced without a failed attempt") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.timeouts.idle_connection = std::chrono::milliseconds(0);
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    for (int index = 0; index < 2; ++index) {
      std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
      REQUIRE(result);
      REQUIRE_MESSAGE(result->ok(), result->message);
    }
    CHECK(server.accepted_connections() == 2);
  }
}
