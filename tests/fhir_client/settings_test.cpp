// What create() refuses: anything but an https:// base URL, and certificate settings
// that cannot work. The reasons are for clinic IT.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "client_runner.hpp"
#include "support/temporary_folder.hpp"
#include "client/https_client.hpp"
#include "test_server.hpp"

using namespace alliance::fhir;
using namespace alliance::fhir::testing;

namespace {

HttpsClientSettings with_base_url(const std::string& base_url) {
  HttpsClientSettings settings = settings_for(443);
  settings.base_url = base_url;
  return settings;
}

}  // namespace

TEST_SUITE("fhir_client") {
  TEST_CASE("an http base URL is refused at create") {
    const std::string error = creation_error(with_base_url("http://ehr.example.org/fhir/R4"));
    CHECK(error.find("http://") != std::string::npos);
    CHECK(error.find("https://") != std::string::npos);
  }

  TEST_CASE("malformed base URLs are refused at create") {
    for (const char* base_url : {"", "not a url", "ehr.example.org/fhir", "https://", "https:///fhir", "ftp://ehr.example.org",
                                 "https://ehr.example.org:99999/", "https://ehr.example.org:0/", "https://ehr.example.org:/",
                                 "https://user:secret@ehr.example.org/", "https://ehr.example.org/fhir?x=1",
                                 "https://ehr.example.org/fhir#part",
                                 // Found by fuzzing: read as port 8443 and path "x/fhir".
                                 "https://ehr.example.org:8443x/fhir"}) {
      const std::string text = base_url;
      CAPTURE(text);
      const std::string error = creation_error(with_base_url(text));
      CHECK(error.find("base_url") != std::string::npos);
      CHECK(error.find("secret") == std::string::npos);
    }
  }

  TEST_CASE("a base URL's host is used as written: any case of a name, an IPv4 or IPv6 address, a port and a path") {
    TestServer server(TestServerOptions{});
    ClientThread thread;
    const std::string port = std::to_string(server.port());
    auto send_to = [&](const std::string& base_url) {
      CAPTURE(base_url);
      HttpsClientCreation creation = HttpsClient::create(thread.io_context(), with_base_url(base_url));
      REQUIRE_MESSAGE(creation.client != nullptr, creation.error);
      std::optional<HttpResult> result = send_and_wait(*creation.client, get_request("metadata"));
      REQUIRE(result.has_value());
      return *result;
    };

    // A host name in capitals is the same name, for the connection and for the
    // certificate's check; the base path's trailing slash is not doubled.
    const HttpResult named = send_to("https://LOCALHOST:" + port + "/fhir/R4/");
    CHECK_MESSAGE(named.ok(), to_string(named.error), ": ", named.message);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0].target == "/fhir/R4/metadata");

    // An IPv4 address is connected to as written and checked as an address: the test
    // certificate names localhost only, so the same server is refused.
    const HttpResult by_address = send_to("https://127.0.0.1:" + port + "/fhir");
    CHECK_MESSAGE(by_address.error == HttpErrorKind::certificate_rejected, to_string(by_address.error), ": ",
                  by_address.message);
    CHECK(server.completed_handshakes() == 1);

    // An IPv6 address in brackets is an address too, not a name to look up: nothing
    // listens on that port, so the connection is what fails.
    const HttpResult by_v6_address = send_to("https://[::1]:" + std::to_string(unused_port()) + "/fhir");
    CHECK_MESSAGE(by_v6_address.error == HttpErrorKind::connect, to_string(by_v6_address.error), ": ",
                  by_v6_address.message);
  }

  TEST_CASE("a missing CA file is refused with its path") {
    HttpsClientSettings settings = settings_for(443);
    settings.ca_file = "/nonexistent/ca.pem";
    const std::string error = creation_error(settings);
    CHECK(error.find("ca_file /nonexistent/ca.pem") != std::string::npos);
  }

  TEST_CASE("a client certificate without its key or with the wrong key is refused") {
    HttpsClientSettings settings = settings_for(443);
    settings.client_certificate_file = certificate_path("client.pem");
    CHECK(creation_error(settings).find("client_key_file") != std::string::npos);

    settings.client_key_file = certificate_path("server.key");
    CHECK(creation_error(settings).find("not the private key") != std::string::npos);
  }

  TEST_CASE("a zero timeout or limit is refused") {
    HttpsClientSettings settings = settings_for(443);
    settings.timeouts.read = std::chrono::milliseconds(0);
    CHECK(creation_error(settings).find("timeout") != std::string::npos);

    settings = settings_for(443);
    settings.response_limit_bytes = 0;
    CHECK(creation_error(settings).find("response_limit_bytes") != std::string::npos);
  }

  TEST_CASE("create without an io_context is refused") {
    HttpsClientCreation creation = HttpsClient::create(nullptr, settings_for(443));
    CHECK(creation.client == nullptr);
    CHECK_FALSE(creation.error.empty());
  }

  TEST_CASE("a client key file behind a symbolic link or readable by others is refused at create") {
    const alliance::testing::TemporaryFolder temporary;
    const std::filesystem::path& folder = temporary.path();
    const std::filesystem::path key = folder / "client.key";
    std::filesystem::copy_file(certificate_path("client.key"), key);
    ::chmod(key.c_str(), 0600);
    std::filesystem::create_symlink(key, folder / "link.key");
    HttpsClientSettings settings = settings_for(443);
    settings.client_certificate_file = certificate_path("client.pem");
    settings.client_key_file = key.string();
    {
      ClientThread thread;
      HttpsClientCreation creation = HttpsClient::create(thread.io_context(), settings);
      CHECK_MESSAGE(creation.client != nullptr, creation.error);
    }
    settings.client_key_file = (folder / "link.key").string();
    std::string error = creation_error(settings);
    CHECK(error.find("client_key_file") != std::string::npos);
    CHECK(error.find("symbolic link") != std::string::npos);

    settings.client_key_file = key.string();
    ::chmod(key.c_str(), 0640);
    error = creation_error(settings);
    CHECK(error.find("client_key_file") != std::string::npos);
    CHECK(error.find("chmod 600") != std::string::npos);
  }
}
