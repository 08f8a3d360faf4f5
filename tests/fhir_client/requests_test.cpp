// Plain requests: what the client sends and what it hands back.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>

#include "client_runner.hpp"
#include "client/https_client.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;

TEST_SUITE("fhir_client") {
  TEST_CASE("a GET returns status headers and body and asks the target path for FHIR JSON") {
    TestServerOptions options;
    options.headers = {{"Content-Type", "application/fhir+json; charset=utf-8"}, {"ETag", "W/\"3\""}};
    options.body = R"({"resourceType":"Bundle","type":"searchset"})";
    TestServer server(options);
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request("Observation?subject=Patient/1"));
    REQUIRE(result);
    REQUIRE_MESSAGE(result->ok(), result->message);
    CHECK(result->message.empty());
    CHECK(result->response.status == 200);
    CHECK(result->response.headers.at("content-type") == "application/fhir+json; charset=utf-8");
    CHECK(result->response.headers.at("etag") == "W/\"3\"");
    CHECK(result->response.body == options.body);

    const std::vector<ReceivedRequest> received = server.requests();
    REQUIRE(received.size() == 1);
    CHECK(received[0].method == "GET");
    CHECK(received[0].target == "/fhir/R4/Observation?subject=Patient/1");
    CHECK(received[0].headers.at("accept") == "application/fhir+json");
    CHECK(received[0].headers.at("host") == "localhost:" + std::to_string(server.port()));
    CHECK(received[0].headers.at("user-agent").rfind("alliance/", 0) == 0);
    CHECK(received[0].headers.count("content-type") == 0);
    CHECK(received[0].body.empty());
  }

  TEST_CASE("a POST to the base URL sends the body as FHIR JSON and returns 201 with its Location") {
    TestServerOptions options;
    options.status = 201;
    options.headers = {{"Content-Type", "application/fhir+json"}, {"Location", "Bundle/7/_history/1"}, {"Retry-After", "5"}};
    options.body = R"({"resourceType":"Bundle","type":"transaction-response"})";
    TestServer server(options);
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    HttpRequest request;
    request.method = HttpMethod::post;
    request.target = "";
    request.body = R"({"resourceType":"Bundle","type":"transaction"})";
    std::optional<HttpResult> result = send_and_wait(*creation.client, request);
    REQUIRE(result);
    REQUIRE_MESSAGE(result->ok(), result->message);
    CHECK(result->response.status == 201);
    CHECK(result->response.headers.at("location") == "Bundle/7/_history/1");
    CHECK(result->response.headers.at("retry-after") == "5");
    CHECK(result->response.body == options.body);

    const std::vector<ReceivedRequest> received = server.requests();
    REQUIRE(received.size() == 1);
    CHECK(received[0].method == "POST");
    CHECK(received[0].target == "/fhir/R4");
    CHECK(received[0].headers.at("content-type") == "application/fhir+json");
    CHECK(received[0].headers.at("accept") == "application/fhir+json");
    CHECK(received[0].headers.at("content-length") == std::to_string(request.body.size()));
    CHECK(received[0].body == request.body);
  }

  TEST_CASE("a PUT carries the extra headers and one named like a default replaces it") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    HttpRequest request;
    request.method = HttpMethod::put;
    request.target = "/Questionnaire/ors";
    request.body = "{}";
    request.extra_headers = {{"Prefer", "return=minimal"}, {"Authorization", "Bearer token-1"}, {"accept", "application/json"}};
    std::optional<HttpResult> result = send_and_wait(*creation.client, request);
    REQUIRE(result);
    REQUIRE_MESSAGE(result->ok(), result->message);

    const std::vector<ReceivedRequest> received = server.requests();
    REQUIRE(received.size() == 1);
    CHECK(received[0].method == "PUT");
    CHECK(received[0].target == "/fhir/R4/Questionnaire/ors");
    CHECK(received[0].headers.at("prefer") == "return=minimal");
    CHECK(received[0].headers.at("authorization") == "Bearer token-1");
    CHECK(received[0].headers.at("accept") == "application/json");
  }

  TEST_CASE("a 4xx answer is a response with its body and not a transport error") {
    TestServerOptions options;
    options.status = 412;
    options.body = R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"duplicate"}]})";
    TestServer server(options);
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CHECK(result->ok());
    CHECK(result->response.status == 412);
    CHECK(result->response.body == options.body);
  }

  TEST_CASE("a header that could inject others or that the client manages is refused before connecting") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    HttpRequest injected = get_request();
    injected.extra_headers = {{"X-Note", "a\r\nX-Injected: yes"}};
    std::optional<HttpResult> result = send_and_wait(*creation.client, injected);
    REQUIRE(result);
    CHECK(result->error == HttpErrorKind::invalid_request);
    CHECK(result->message.find("X-Injected") == std::string::npos);

    HttpRequest framing = get_request();
    framing.extra_headers = {{"Content-Length", "0"}};
    result = send_and_wait(*creation.client, framing);
    REQUIRE(result);
    CHECK(result->error == HttpErrorKind::invalid_request);

    HttpRequest bad_name = get_request();
    bad_name.extra_headers = {{"Bad Name", "x"}};
    result = send_and_wait(*creation.client, bad_name);
    REQUIRE(result);
    CHECK(result->error == HttpErrorKind::invalid_request);
    CHECK(server.accepted_connections() == 0);
  }

  TEST_CASE("a target with a space or a fragment or a dot segment is refused as an invalid URL") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    for (const char* target : {"Patient?name=a b", "Patient#x", "Patient\r\nHost: evil", "../../admin", "Patient/%2E%2e/x", "./Patient"}) {
      std::optional<HttpResult> result = send_and_wait(*creation.client, get_request(target));
      REQUIRE(result);
      CHECK(result->error == HttpErrorKind::invalid_url);
    }
    CHECK(server.accepted_connections() == 0);
  }

  TEST_CASE("requests run in the order they were sent") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings_for(server.port()));
    REQUIRE_MESSAGE(creation.client, creation.error);

    auto finished = std::make_shared<std::atomic<int>>(0);
    for (int index = 0; index < 5; ++index) {
      creation.client->send(get_request("Observation/" + std::to_string(index)),
                            [finished](const HttpResult&) { ++*finished; });
    }
    REQUIRE(wait_until([&] { return *finished == 5; }));
    const std::vector<ReceivedRequest> received = server.requests();
    REQUIRE(received.size() == 5);
    for (int index = 0; index < 5; ++index) CHECK(received[index].target == "/fhir/R4/Observation/" + std::to_string(index));
  }
}
