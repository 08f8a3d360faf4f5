// Reaching the server through an HTTP proxy (CONNECT): the tunnel carries a TLS
// session that is still verified against the server's name, credentials go to the
// proxy only and never into a message, and each way a proxy can fail is reported.
#include <doctest/doctest.h>

#include "client_runner.hpp"
#include "client/https_client.hpp"
#include "test_proxy.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* proxy_user = "clinic-proxy-user";
constexpr const char* password_marker = "PROXY-PASSWORD-MARKER-8812";

HttpsClientSettings through(const TestProxy& proxy, unsigned short server_port, const std::string& server_host = "localhost",
                            const std::string& proxy_host = "127.0.0.1") {
  HttpsClientSettings settings = settings_for(server_port, server_host);
  settings.proxy_url = "http://" + proxy_host + ":" + std::to_string(proxy.port());
  return settings;
}

HttpResult send_once(const HttpsClientSettings& settings, HttpRequest request = get_request()) {
  ClientThread thread;
  HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
  REQUIRE_MESSAGE(creation.client, creation.error);
  std::optional<HttpResult> result = send_and_wait(*creation.client, std::move(request));
  REQUIRE(result);
  return *result;
}

void check_no_credentials(const std::string& message) {
  CAPTURE(message);
  CHECK(message.find(password_marker) == std::string::npos);
  CHECK(message.find(proxy_user) == std::string::npos);
  CHECK(message.find(basic_authorization(proxy_user, password_marker).substr(6)) == std::string::npos);
}

}  // namespace

TEST_SUITE("fhir_client") {
  TEST_CASE("a request through the proxy reaches the server in a CONNECT tunnel and keeps its connection alive") {
    TestServer server(TestServerOptions{});
    TestProxy proxy;
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), through(proxy, server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    for (int index = 0; index < 3; ++index) {
      std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
      REQUIRE(result);
      REQUIRE_MESSAGE(result->ok(), result->message);
      CHECK(result->response.status == 200);
    }
    const std::vector<ReceivedConnect> connects = proxy.connects();
    REQUIRE(connects.size() == 1);  // one tunnel, reused for every request
    CHECK(connects[0].method == "CONNECT");
    CHECK(connects[0].target == "localhost:" + std::to_string(server.port()));
    CHECK(connects[0].host == "localhost:" + std::to_string(server.port()));
    CHECK_FALSE(connects[0].proxy_authorization.has_value());
    CHECK(server.accepted_connections() == 1);
    REQUIRE(server.requests().size() == 3);
    CHECK(server.requests()[0].target == "/fhir/R4/metadata");
    // SNI names the server, never the proxy.
    CHECK(server.server_names() == std::vector<std::string>{"localhost"});
  }

  TEST_CASE("through the proxy the certificate is verified against the server's host name and not the proxy's") {
    TestServer server(TestServerOptions{});  // a certificate for localhost only
    TestProxy proxy;
    // The proxy is reached as localhost, which the certificate would match; the server
    // is named 127.0.0.1, which it does not.
    const HttpResult result = send_once(through(proxy, server.port(), "127.0.0.1", "localhost"));
    CAPTURE(result.message);
    CHECK(result.error == HttpErrorKind::certificate_rejected);
    CHECK(result.message.find("127.0.0.1") != std::string::npos);
    REQUIRE(proxy.connects().size() == 1);
    CHECK(proxy.connects()[0].target == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(server.requests().empty());
  }

  TEST_CASE("through the proxy a certificate from an unknown CA is rejected") {
    TestServerOptions options;
    options.certificate = "untrusted-server";
    TestServer server(options);
    TestProxy proxy;
    const HttpResult result = send_once(through(proxy, server.port()));
    CHECK_MESSAGE(result.error == HttpErrorKind::certificate_rejected, result.message);
    CHECK(server.requests().empty());
  }

  TEST_CASE("proxy credentials go to the proxy as Basic authorization and never to the server") {
    TestServer server(TestServerOptions{});
    TestProxyOptions options;
    options.required_authorization = basic_authorization(proxy_user, password_marker);
    TestProxy proxy(options);
    HttpsClientSettings settings = through(proxy, server.port());
    settings.proxy_username = proxy_user;
    settings.proxy_password = password_marker;

    const HttpResult result = send_once(settings);
    REQUIRE_MESSAGE(result.ok(), result.message);
    REQUIRE(proxy.connects().size() == 1);
    CHECK(proxy.connects()[0].proxy_authorization == basic_authorization(proxy_user, password_marker));
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0].headers.count("proxy-authorization") == 0);
  }

  TEST_CASE("a 407 from the proxy is a proxy error that says to check the proxy credentials") {
    TestServer server(TestServerOptions{});
    TestProxyOptions options;
    options.required_authorization = basic_authorization(proxy_user, "the-right-password");
    TestProxy proxy(options);

    HttpsClientSettings wrong_password = through(proxy, server.port());
    wrong_password.proxy_username = proxy_user;
    wrong_password.proxy_password = password_marker;
    const HttpResult refused = send_once(wrong_password);
    CAPTURE(refused.message);
    CHECK(refused.error == HttpErrorKind::proxy);
    CHECK(std::string(to_string(refused.error)) == "proxy");
    CHECK(refused.message.find("the proxy refused: 407 Proxy Authentication Required; check proxy credentials") !=
          std::string::npos);
    CHECK(refused.message.find("127.0.0.1:" + std::to_string(proxy.port())) != std::string::npos);
    check_no_credentials(refused.message);

    const HttpResult anonymous = send_once(through(proxy, server.port()));
    CHECK(anonymous.error == HttpErrorKind::proxy);
    CHECK(anonymous.message.find("407") != std::string::npos);
    CHECK(anonymous.message.find("proxy_username is not set") != std::string::npos);
    CHECK(server.accepted_connections() == 0);
  }

  TEST_CASE("a proxy that refuses the tunnel is a proxy error naming the status") {
    TestServer server(TestServerOptions{});
    for (const int status : {403, 502}) {
      CAPTURE(status);
      TestProxyOptions options;
      options.behaviour = ProxyBehaviour::refuse;
      options.refuse_status = status;
      TestProxy proxy(options);
      HttpsClientSettings settings = through(proxy, server.port());
      settings.proxy_username = proxy_user;
      settings.proxy_password = password_marker;
      const HttpResult result = send_once(settings);
      CAPTURE(result.message);
      CHECK(result.error == HttpErrorKind::proxy);
      CHECK(result.message.find(std::to_string(status)) != std::string::npos);
      CHECK(result.message.find("localhost:" + std::to_string(server.port())) != std::string::npos);
      check_no_credentials(result.message);
    }
    CHECK(server.accepted_connections() == 0);
  }

  TEST_CASE("a proxy that is not listening is a connect error naming the proxy") {
    TestServer server(TestServerOptions{});
    HttpsClientSettings settings = settings_for(server.port());
    const unsigned short nobody = unused_port();
    settings.proxy_url = "http://127.0.0.1:" + std::to_string(nobody);
    settings.proxy_username = proxy_user;
    settings.proxy_password = password_marker;
    const HttpResult result = send_once(settings);
    CAPTURE(result.message);
    CHECK(result.error == HttpErrorKind::connect);
    CHECK(result.message.find("proxy 127.0.0.1:" + std::to_string(nobody)) != std::string::npos);
    check_no_credentials(result.message);
    CHECK(server.accepted_connections() == 0);
  }

  TEST_CASE("a proxy that never answers CONNECT times out under the read timeout") {
    TestServer server(TestServerOptions{});
    TestProxyOptions options;
    options.behaviour = ProxyBehaviour::never_answer;
    TestProxy proxy(options);
    HttpsClientSettings settings = through(proxy, server.port());
    settings.timeouts.read = 300ms;
    const auto started = std::chrono::steady_clock::now();
    const HttpResult result = send_once(settings);
    CAPTURE(result.message);
    CHECK(result.error == HttpErrorKind::timeout);
    CHECK(result.message.find("CONNECT") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < 1900ms);
  }

  TEST_CASE("a proxy that closes the connection instead of answering CONNECT is a proxy error") {
    TestServer server(TestServerOptions{});
    TestProxyOptions options;
    options.behaviour = ProxyBehaviour::close_without_answer;
    TestProxy proxy(options);
    const HttpResult result = send_once(through(proxy, server.port()));
    CAPTURE(result.message);
    CHECK(result.error == HttpErrorKind::proxy);
    CHECK(result.message.find("closed the connection") != std::string::npos);
  }

  TEST_CASE("a proxy URL that is not http://host[:port] is refused at create without echoing credentials") {
    for (const char* proxy_url :
         {"not a url", "https://proxy.example.org:3128", "socks5://proxy.example.org:1080", "proxy.example.org:3128",
          "http://", "http://proxy.example.org:0", "http://proxy.example.org:70000", "http://proxy.example.org/path",
          "http://proxy.example.org:3128/?x=1", "http://user:PROXY-PASSWORD-MARKER-8812@proxy.example.org:3128"}) {
      const std::string text = proxy_url;
      CAPTURE(text);
      HttpsClientSettings settings = settings_for(443);
      settings.proxy_url = text;
      const std::string error = creation_error(settings);
      CHECK(error.find("proxy_url") != std::string::npos);
      CHECK(error.find(password_marker) == std::string::npos);
    }
  }

  TEST_CASE("proxy credentials that cannot work are refused at create without echoing them") {
    HttpsClientSettings no_proxy = settings_for(443);
    no_proxy.proxy_username = proxy_user;
    no_proxy.proxy_password = password_marker;
    CHECK(creation_error(no_proxy).find("proxy_url") != std::string::npos);

    HttpsClientSettings password_only = settings_for(443);
    password_only.proxy_url = "http://proxy.example.org:3128";
    password_only.proxy_password = password_marker;
    const std::string password_error = creation_error(password_only);
    CHECK(password_error.find("proxy_username") != std::string::npos);
    CHECK(password_error.find(password_marker) == std::string::npos);

    HttpsClientSettings colon = password_only;
    colon.proxy_username = std::string(proxy_user) + ":x";
    const std::string colon_error = creation_error(colon);
    CHECK(colon_error.find("':'") != std::string::npos);
    CHECK(colon_error.find(proxy_user) == std::string::npos);
  }

  TEST_CASE("http proxy URLs with a name or an address are accepted") {
    ClientThread thread;
    for (const char* proxy_url : {"http://proxy.example.org", "http://PROXY.example.org:3128/", "http://127.0.0.1:8080",
                                  "http://[::1]:3128"}) {
      const std::string text = proxy_url;
      CAPTURE(text);
      HttpsClientSettings settings = settings_for(443);
      settings.proxy_url = text;
      settings.proxy_username = proxy_user;
      settings.proxy_password = password_marker;
      HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
      CHECK_MESSAGE(creation.client != nullptr, creation.error);
    }
  }
}
