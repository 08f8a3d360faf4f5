// TokenSource against the real test server (fixture fhir_server_smart: tokens live
// 3 s, FHIR requests need one). Reuse of a cached token shows twice: the same token
// value comes back, and the server's count of issued tokens (GET /auth/_issued_count)
// does not move; these tests hold a CTest resource lock so that nobody else asks the
// server for tokens meanwhile.
#include <doctest/doctest.h>

#include <future>
#include <regex>
#include <thread>

#include "auth/smart_discovery.hpp"
#include "test_support.hpp"
#include "auth/token_source.hpp"
#include "support/text.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::auth;
using namespace alliance::fhir::auth::testing;
using namespace std::chrono_literals;
using alliance::testing::contains;

namespace {

std::unique_ptr<TokenSource> make_source(IoThread& io, const SmartSettings& settings,
                                         const HttpsClientSettings& client_settings = smart_server_settings()) {
  TokenSourceCreation creation = TokenSource::create(io.io_context(), client_settings, settings);
  REQUIRE_MESSAGE(creation.source, creation.error);
  return std::move(creation.source);
}


// A JWT, or anything as long as a token or a JWS segment.
bool looks_like_credential(const std::string& text) {
  return contains(text, "eyJ") || std::regex_search(text, std::regex("[A-Za-z0-9_\\-.~+/=]{40,}"));
}

// GET Patient?_count=1 on the FHIR server with the given Authorization header value.
int fhir_search_status(IoThread& io, const std::string& authorization) {
  HttpsClientCreation creation = HttpsClient::create(io.io_context(), smart_server_settings());
  REQUIRE_MESSAGE(creation.client, creation.error);
  HttpRequest request;
  request.target = "Patient?_count=1";
  if (!authorization.empty()) request.extra_headers = {{"Authorization", authorization}};
  const std::optional<HttpResult> result = send_and_wait(*creation.client, std::move(request));
  REQUIRE(result);
  REQUIRE_MESSAGE(result->ok(), result->message);
  return result->response.status;
}

}  // namespace

TEST_SUITE("token_source") {
  TEST_CASE("discovery reads the test server's SMART configuration") {
    IoThread io;
    HttpsClientCreation creation = HttpsClient::create(io.io_context(), smart_server_settings());
    REQUIRE(creation.client);
    std::promise<SmartConfigurationResult> promise;
    fetch_smart_configuration(*creation.client, SigningAlgorithm::es384,
                              [&promise](SmartConfigurationResult result) { promise.set_value(std::move(result)); });
    auto future = promise.get_future();
    REQUIRE(future.wait_for(15s) == std::future_status::ready);
    const SmartConfigurationResult result = future.get();
    REQUIRE_MESSAGE(result.configuration, result.error);
    const unsigned short port = read_port(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE);
    CHECK(result.configuration->token_endpoint == "https://localhost:" + std::to_string(port) + "/auth/token");
    CHECK(result.configuration->scopes_supported.size() > 2);
  }

  TEST_CASE("an RSA key gets a bearer token that the FHIR server accepts") {
    IoThread io;
    CHECK(fhir_search_status(io, "") == 401);
    auto source = make_source(io, smart_settings("rs384"));
    CHECK(source->algorithm() == SigningAlgorithm::rs384);
    const TokenResult token = get_token(*source);
    REQUIRE_MESSAGE(token.ok, token.error);
    CHECK(token.kind == TokenErrorKind::none);
    CHECK(token.authorization_header_value.rfind("Bearer ", 0) == 0);
    CHECK(fhir_search_status(io, token.authorization_header_value) == 200);
  }

  TEST_CASE("an EC P-384 key gets a bearer token that the FHIR server accepts") {
    IoThread io;
    auto source = make_source(io, smart_settings("es384"));
    CHECK(source->algorithm() == SigningAlgorithm::es384);
    const TokenResult token = get_token(*source);
    REQUIRE_MESSAGE(token.ok, token.error);
    CHECK(fhir_search_status(io, token.authorization_header_value) == 200);
  }

  TEST_CASE("a configured token endpoint skips discovery") {
    IoThread io;
    SmartSettings settings = smart_settings("es384");
    const unsigned short port = read_port(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE);
    settings.token_endpoint = "https://localhost:" + std::to_string(port) + "/auth/token";
    HttpsClientSettings unreachable_fhir = smart_server_settings();
    unreachable_fhir.base_url = "https://localhost:1/fhir/R4";  // never contacted
    auto source = make_source(io, settings, unreachable_fhir);
    const TokenResult token = get_token(*source);
    CHECK_MESSAGE(token.ok, token.error);
  }

  TEST_CASE("a second get within the lifetime reuses the cached token and concurrent gets share one request") {
    IoThread io;
    auto source = make_source(io, smart_settings("es384"));
    const int before = issued_count(io.io_context());

    std::vector<std::future<TokenResult>> results;
    for (int index = 0; index < 3; ++index) {
      auto promise = std::make_shared<std::promise<TokenResult>>();
      results.push_back(promise->get_future());
      source->get([promise](TokenResult result) { promise->set_value(std::move(result)); });
    }
    std::vector<std::string> values;
    for (auto& result : results) {
      REQUIRE(result.wait_for(15s) == std::future_status::ready);
      const TokenResult token = result.get();
      REQUIRE_MESSAGE(token.ok, token.error);
      values.push_back(token.authorization_header_value);
    }
    CHECK(values[0] == values[1]);
    CHECK(values[0] == values[2]);
    CHECK(issued_count(io.io_context()) == before + 1);

    const TokenResult again = get_token(*source);
    REQUIRE(again.ok);
    CHECK(again.authorization_header_value == values[0]);
    CHECK(issued_count(io.io_context()) == before + 1);
  }

  TEST_CASE("a new token is fetched when the old one nears its expiry") {
    IoThread io;
    auto source = make_source(io, smart_settings("rs384"));
    const int before = issued_count(io.io_context());
    const TokenResult first = get_token(*source);
    REQUIRE_MESSAGE(first.ok, first.error);
    // 3 s lifetime, renewed when less than a fifth (0.6 s) remains.
    std::this_thread::sleep_for(std::chrono::milliseconds(token_lifetime_seconds * 1000 * 4 / 5 + 200));
    const TokenResult second = get_token(*source);
    REQUIRE_MESSAGE(second.ok, second.error);
    CHECK(second.authorization_header_value != first.authorization_header_value);
    CHECK(issued_count(io.io_context()) == before + 2);
    CHECK(fhir_search_status(io, second.authorization_header_value) == 200);
  }

  TEST_CASE("invalidate forces a new token") {
    IoThread io;
    auto source = make_source(io, smart_settings("es384"));
    const int before = issued_count(io.io_context());
    const TokenResult first = get_token(*source);
    REQUIRE_MESSAGE(first.ok, first.error);
    source->invalidate();
    const TokenResult second = get_token(*source);
    REQUIRE_MESSAGE(second.ok, second.error);
    CHECK(second.authorization_header_value != first.authorization_header_value);
    CHECK(issued_count(io.io_context()) == before + 2);
  }

  TEST_CASE("the wrong key is a permanent error that says the key was refused and shows no credential") {
    IoThread io;
    auto source = make_source(io, smart_settings("wrong-es384"));
    const TokenResult token = get_token(*source);
    CHECK_FALSE(token.ok);
    CHECK(token.authorization_header_value.empty());
    CHECK(token.kind == TokenErrorKind::client_rejected);
    CHECK(token.permanent);
    CHECK(contains(token.error, "refused the client's key"));
    CHECK(contains(token.error, "invalid_client"));
    CHECK(contains(token.error, "alliance-es384"));
    CHECK_FALSE(looks_like_credential(token.error));
    MESSAGE(token.error);
  }

  TEST_CASE("scopes the server does not grant are a permanent error naming them") {
    IoThread io;
    SmartSettings settings = smart_settings("es384");
    settings.scopes = "system/Observation.c system/Patient.rs";
    auto source = make_source(io, settings);
    const TokenResult token = get_token(*source);
    CHECK_FALSE(token.ok);
    CHECK(token.kind == TokenErrorKind::request_rejected);
    CHECK(token.permanent);
    CHECK(contains(token.error, "system/Patient.rs"));
  }

  TEST_CASE("an unreachable token endpoint is an error that is not permanent") {
    IoThread io;
    SmartSettings settings = smart_settings("es384");
    settings.token_endpoint = "https://localhost:1/auth/token";
    auto source = make_source(io, settings);
    const TokenResult token = get_token(*source);
    CHECK_FALSE(token.ok);
    CHECK(token.kind == TokenErrorKind::unreachable);
    CHECK_FALSE(token.permanent);
    CHECK(contains(token.error, "localhost:1"));
  }

  TEST_CASE("a FHIR server without SMART configuration is a permanent discovery error") {
    IoThread io;
    // The test server has nothing under /fhir but /fhir/R4: a wrong base URL, 404.
    const auto wrong_base = settings_for_port(read_port(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE), "/fhir");
    auto source = make_source(io, smart_settings("es384"), wrong_base);
    const TokenResult token = get_token(*source);
    CHECK_FALSE(token.ok);
    CHECK(token.kind == TokenErrorKind::discovery);
    CHECK(token.permanent);
    CHECK(contains(token.error, "404"));
  }

  TEST_CASE("a callback may destroy the token source and the others still get their answers in order") {
    IoThread io;
    auto source = make_source(io, smart_settings("es384"));
    std::promise<void> done;
    std::vector<std::string> order;
    source->get([&](TokenResult result) {
      order.push_back(result.ok ? "first" : "first failed");
    });
    source->get([&](TokenResult) {
      order.push_back("second");
      source.reset();  // the TokenSource goes; the third callback never runs
      done.set_value();
    });
    source->get([&](TokenResult) { order.push_back("third"); });
    REQUIRE(done.get_future().wait_for(15s) == std::future_status::ready);
    std::this_thread::sleep_for(100ms);
    CHECK(order == std::vector<std::string>{"first", "second"});
  }

  TEST_CASE("settings that cannot work are refused at creation") {
    IoThread io;
    SmartSettings settings = smart_settings("es384");
    settings.client_id = "";
    CHECK(contains(TokenSource::create(io.io_context(), smart_server_settings(), settings).error, "client_id"));
    settings = smart_settings("es384");
    settings.key_id = "";
    CHECK(contains(TokenSource::create(io.io_context(), smart_server_settings(), settings).error, "key_id"));
    settings = smart_settings("es384");
    settings.scopes = "  ";
    CHECK(contains(TokenSource::create(io.io_context(), smart_server_settings(), settings).error, "scopes"));
    settings = smart_settings("es384");
    settings.token_endpoint = "http://localhost/auth/token";
    CHECK(contains(TokenSource::create(io.io_context(), smart_server_settings(), settings).error, "https"));
    settings = smart_settings("es384");
    settings.private_key_file = key_path("es384.pub.pem");
    CHECK(contains(TokenSource::create(io.io_context(), smart_server_settings(), settings).error,
                   key_path("es384.pub.pem")));
  }
}
