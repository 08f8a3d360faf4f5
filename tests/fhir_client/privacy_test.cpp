// Error messages go to logs that clinic IT reads: they must never carry a request
// body (PHI), a response body or a header value (credentials).
#include <doctest/doctest.h>

#include <functional>

#include "client_runner.hpp"
#include "client/https_client.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* body_marker = "PHI-MARKER-Jane-Doe-1970-01-01";
constexpr const char* secret_marker = "SECRET-TOKEN-4711";

HttpRequest marked_request() {
  HttpRequest request;
  request.method = HttpMethod::post;
  request.target = "QuestionnaireResponse";
  request.body = std::string(R"({"resourceType":"QuestionnaireResponse","note":")") + body_marker + "\"}";
  request.extra_headers = {{"Authorization", std::string("Bearer ") + secret_marker}};
  return request;
}

HttpResult failing_result(TestServerOptions options, const std::function<void(HttpsClientSettings&)>& adjust) {
  TestServer server(options);
  ClientThread thread;
  HttpsClientSettings settings = settings_for(server.port());
  settings.timeouts.read = 300ms;
  adjust(settings);
  HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
  REQUIRE_MESSAGE(creation.client, creation.error);
  std::optional<HttpResult> result = send_and_wait(*creation.client, marked_request());
  REQUIRE(result);
  return *result;
}

void check_clean(const HttpResult& result) {
  CAPTURE(result.message);
  CHECK_FALSE(result.ok());
  CHECK_FALSE(result.message.empty());
  CHECK(result.message.find(body_marker) == std::string::npos);
  CHECK(result.message.find(secret_marker) == std::string::npos);
  CHECK(result.message.find("QuestionnaireResponse") == std::string::npos);
}

}  // namespace

TEST_SUITE("fhir_client") {
  TEST_CASE("no error message contains the request body or a header value") {
    const auto unchanged = [](HttpsClientSettings&) {};

    TestServerOptions silent;
    silent.behaviour = ServerBehaviour::never_answer;
    check_clean(failing_result(silent, unchanged));

    TestServerOptions resetting;
    resetting.behaviour = ServerBehaviour::reset_mid_response;
    check_clean(failing_result(resetting, unchanged));

    TestServerOptions echoing;  // a server that echoes PHI back in a body too large to accept
    echoing.body = std::string(2048, 'x') + body_marker;
    check_clean(failing_result(echoing, [](HttpsClientSettings& settings) { settings.response_limit_bytes = 1024; }));

    TestServerOptions malformed;  // a response header that carries the marker, over the header limit
    malformed.headers = {{"X-Echo", std::string(5000, 'x') + body_marker}};
    check_clean(failing_result(malformed, [](HttpsClientSettings& settings) { settings.header_limit_bytes = 1024; }));

    check_clean(failing_result(TestServerOptions{}, [](HttpsClientSettings& settings) {
      settings.base_url.replace(settings.base_url.find("localhost"), 9, "127.0.0.1");
    }));

    TestServerOptions mutual;
    mutual.require_client_certificate = true;
    check_clean(failing_result(mutual, unchanged));

    check_clean(failing_result(TestServerOptions{}, [](HttpsClientSettings& settings) {
      settings.base_url = "https://localhost:" + std::to_string(unused_port()) + "/fhir/R4";
    }));

    HttpRequest injected = marked_request();
    injected.extra_headers.push_back({"X-Bad", std::string(secret_marker) + "\r\n"});
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);
    std::optional<HttpResult> result = send_and_wait(*creation.client, injected);
    REQUIRE(result);
    check_clean(*result);
  }
}
