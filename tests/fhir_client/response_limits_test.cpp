// Untrusted answers: too large, or cut off midway. Both are error results, never a
// crash or an unbounded allocation.
#include <doctest/doctest.h>

#include "client_runner.hpp"
#include "client/https_client.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;

TEST_SUITE("fhir_client") {
  TEST_CASE("a response larger than the limit is response_too_large") {
    TestServerOptions options;
    options.behaviour = ServerBehaviour::oversized_body;
    options.oversized_body_bytes = 2 * 1024 * 1024;
    TestServer server(options);
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.response_limit_bytes = 256 * 1024;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK(result->error == HttpErrorKind::response_too_large);
    CHECK_MESSAGE(result->message.find("262144 bytes") != std::string::npos, result->message);
  }

  TEST_CASE("a response with a Content-Length over the limit is refused before its body") {
    TestServerOptions options;
    options.body = std::string(4096, 'x');
    TestServer server(options);
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.response_limit_bytes = 1024;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK(result->error == HttpErrorKind::response_too_large);
  }

  TEST_CASE("response headers larger than the header limit are response_too_large") {
    TestServerOptions options;
    options.headers = {{"X-Padding", std::string(8000, 'p')}};
    TestServer server(options);
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.header_limit_bytes = 4096;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK(result->error == HttpErrorKind::response_too_large);
  }

  TEST_CASE("a connection reset in the middle of a response is a read error") {
    TestServerOptions options;
    options.behaviour = ServerBehaviour::reset_mid_response;
    TestServer server(options);
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK_MESSAGE(result->error == HttpErrorKind::read, to_string(result->error), ": ", result->message);
    // A fresh connection that fails is not retried.
    CHECK(server.requests().size() == 1);
    CHECK(server.accepted_connections() == 1);
  }
}
