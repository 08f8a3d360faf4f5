// The HTTPS client through a real proxy: Debian's tinyproxy (fixture `tinyproxy`) in
// front of the real test FHIR server (fixture `fhir_server`).
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "client_runner.hpp"
#include "client/https_client.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;

namespace {

unsigned short port_from(const char* port_file) {
  std::ifstream file(port_file);
  int port = 0;
  file >> port;
  const std::string message = "no port in " + std::string(port_file);
  REQUIRE_MESSAGE((port > 0 && port < 65536), message);
  return static_cast<unsigned short>(port);
}

std::string text_of(const char* path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

HttpsClientSettings through_tinyproxy() {
  HttpsClientSettings settings = settings_for(port_from(ALLIANCE_FHIR_SERVER_PORT_FILE));
  settings.proxy_url = "http://127.0.0.1:" + std::to_string(port_from(ALLIANCE_TINYPROXY_PORT_FILE));
  settings.proxy_username = ALLIANCE_TINYPROXY_USER;
  settings.proxy_password = ALLIANCE_TINYPROXY_PASSWORD;
  const std::chrono::milliseconds ten_seconds{10'000};
  settings.timeouts = {ten_seconds, ten_seconds, ten_seconds, ten_seconds, ten_seconds, std::chrono::seconds(30)};
  return settings;
}

std::string unique_id(const std::string& prefix) {
  std::random_device device;
  return prefix + "-" + std::to_string(device() % 1'000'000'000);
}

}  // namespace

TEST_SUITE("proxy") {
  TEST_CASE("requests reach the test FHIR server through tinyproxy and tinyproxy logs the CONNECT") {
    ClientThread thread;
    const HttpsClientSettings settings = through_tinyproxy();
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    const std::string id = unique_id("proxy-patient");
    HttpRequest create;
    create.method = HttpMethod::put;
    create.target = "Patient/" + id;
    create.body = R"({"resourceType":"Patient","id":")" + id + R"(","name":[{"family":"Proxy"}]})";
    std::optional<HttpResult> created = send_and_wait(*creation.client, create);
    REQUIRE(created);
    REQUIRE_MESSAGE(created->ok(), created->message);
    CHECK(created->response.status == 201);

    std::optional<HttpResult> read = send_and_wait(*creation.client, get_request("Patient/" + id));
    REQUIRE(read);
    REQUIRE_MESSAGE(read->ok(), read->message);
    CHECK(read->response.status == 200);
    CHECK(read->response.body.find(id) != std::string::npos);

    const std::string log = text_of(ALLIANCE_TINYPROXY_LOG);
    const std::string connect = "CONNECT localhost:" + std::to_string(port_from(ALLIANCE_FHIR_SERVER_PORT_FILE)) + " HTTP/1.1";
    CHECK_MESSAGE(log.find(connect) != std::string::npos, "tinyproxy's log has no line with ", connect);
    CHECK(log.find(ALLIANCE_TINYPROXY_PASSWORD) == std::string::npos);
  }

  TEST_CASE("tinyproxy refuses a client without credentials with 407 and the message says to check them") {
    ClientThread thread;
    HttpsClientSettings settings = through_tinyproxy();
    settings.proxy_username.clear();
    settings.proxy_password.clear();
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CAPTURE(result->message);
    CHECK(result->error == HttpErrorKind::proxy);
    CHECK(result->message.find("the proxy refused: 407 Proxy Authentication Required; check proxy credentials") !=
          std::string::npos);
  }

  TEST_CASE("tinyproxy refuses a wrong password and the message says to check the credentials without them") {
    ClientThread thread;
    HttpsClientSettings settings = through_tinyproxy();
    const std::string wrong_password = "WRONG-PROXY-PASSWORD-MARKER-5150";
    settings.proxy_password = wrong_password;
    HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
    REQUIRE_MESSAGE(creation.client, creation.error);

    std::optional<HttpResult> result = send_and_wait(*creation.client, get_request());
    REQUIRE(result);
    CAPTURE(result->message);
    CHECK(result->error == HttpErrorKind::proxy);
    // tinyproxy 1.11 answers wrong credentials with 401, missing ones with 407.
    CHECK(result->message.find("the proxy refused: ") == 0);
    CHECK(result->message.find("; check proxy credentials") != std::string::npos);
    CHECK(result->message.find(wrong_password) == std::string::npos);
    CHECK(result->message.find(ALLIANCE_TINYPROXY_USER) == std::string::npos);
  }
}
