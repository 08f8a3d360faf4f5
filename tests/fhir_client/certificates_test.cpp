// The server's certificate: chain and host name are always verified, and a refusal
// says why in OpenSSL's words. Also mutual TLS (a client certificate).
#include <doctest/doctest.h>

#include "client_runner.hpp"
#include "client/https_client.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;

TEST_SUITE("fhir_client") {
  TEST_CASE("a certificate for localhost is rejected at 127.0.0.1 with a host name reason and no request is sent") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port(), "127.0.0.1"));
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK(result->error == HttpErrorKind::certificate_rejected);
    CHECK_MESSAGE(result->message.find("certificate verify failed: IP address mismatch") != std::string::npos,
                  result->message);
    CHECK(result->message.find("not issued for 127.0.0.1") != std::string::npos);
    CHECK(server.completed_handshakes() == 0);
    CHECK(server.requests().empty());
  }

  TEST_CASE("a certificate from an unknown CA is rejected") {
    TestServerOptions options;
    options.certificate = "untrusted-server";
    TestServer server(options);
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK(result->error == HttpErrorKind::certificate_rejected);
    CHECK_MESSAGE(result->message.find("certificate verify failed: unable to get local issuer certificate") !=
                      std::string::npos,
                  result->message);
    CHECK(server.requests().empty());
  }

  TEST_CASE("a client trusting only another CA rejects the server") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.ca_file = certificate_path("other-ca.pem");
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK(result->error == HttpErrorKind::certificate_rejected);
    CHECK(result->message.find("certificate verify failed") != std::string::npos);
    CHECK(server.requests().empty());
  }

  TEST_CASE("a server requiring a client certificate refuses a client without one") {
    TestServerOptions options;
    options.require_client_certificate = true;
    TestServer server(options);
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    // With TLS 1.3 the refusal arrives after the client's side of the handshake.
    CHECK_MESSAGE(result->error == HttpErrorKind::tls_handshake, to_string(result->error), ": ", result->message);
    CHECK_MESSAGE(result->message.find("client_certificate_file") != std::string::npos, result->message);
    CHECK(server.requests().empty());
  }

  TEST_CASE("a server requiring a client certificate accepts the configured one") {
    TestServerOptions options;
    options.require_client_certificate = true;
    TestServer server(options);
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.client_certificate_file = certificate_path("client.pem");
    settings.client_key_file = certificate_path("client.key");
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK_MESSAGE(result->ok(), result->message);
    CHECK(server.requests().size() == 1);
  }
  TEST_CASE("a server requiring a client certificate refuses one from a CA it does not trust") {
    TestServerOptions options;
    options.require_client_certificate = true;
    TestServer server(options);
    ClientThread thread;
    HttpsClientSettings settings = settings_for(server.port());
    settings.client_certificate_file = certificate_path("untrusted-server.pem");
    settings.client_key_file = certificate_path("untrusted-server.key");
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK_MESSAGE(result->error == HttpErrorKind::tls_handshake, to_string(result->error), ": ", result->message);
    CHECK(server.requests().empty());
  }
}
