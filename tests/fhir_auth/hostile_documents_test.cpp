// Token answers and SMART discovery documents built to hurt: deep nesting, a NUL byte
// with more text after it, duplicate keys. Refused cheaply, in words that quote nothing.
#include <doctest/doctest.h>

#include <string>

#include "../resource_use.hpp"
#include "auth/smart_configuration.hpp"
#include "auth/token_response.hpp"

using namespace alliance::fhir::auth;
using alliance::testing::resource_use;

namespace {

const TokenRequestContext hostile_context{"alliance-test-client", "alliance-es384", "system/Observation.c", {}};

std::string nested_lists(std::size_t bytes) { return std::string(bytes / 2, '[') + std::string(bytes / 2, ']'); }

constexpr const char* kToken = R"({"access_token":"abc","token_type":"Bearer","expires_in":300})";
constexpr const char* kDiscovery = R"({"token_endpoint":"https://ehr.example.org/token"})";

}  // namespace

TEST_SUITE("fhir_auth_hostile") {
  TEST_CASE("nested lists are refused at once by the token and discovery readers") {
    // 8 MiB is refused by its size; just under the 256 KiB limit, by its depth.
    for (const std::size_t bytes : {std::size_t{8} * 1024 * 1024, std::size_t{256} * 1024 - 2}) {
      CAPTURE(bytes);
      const std::string body = nested_lists(bytes);
      TokenResponseReading token;
      SmartConfigurationResult discovery;
      const auto use = resource_use("read_token_response and parse_smart_configuration, nested", [&] {
        token = read_token_response(200, body, hostile_context);
        discovery = parse_smart_configuration(body, SigningAlgorithm::es384);
      });
      CHECK_FALSE(token.grant);
      CHECK_FALSE(discovery.configuration);
      CHECK(use.seconds < 0.5);
      CHECK(use.peak_growth_kib < 8 * 1024);
    }
    const std::string deep = nested_lists(256 * 1024 - 2);
    CHECK(read_token_response(200, deep, hostile_context).error.find("nested deeper") != std::string::npos);
    CHECK(parse_smart_configuration(deep, SigningAlgorithm::es384).error.find("nested deeper") != std::string::npos);
  }

  TEST_CASE("a token answer or discovery document with a NUL byte and more after it is refused") {
    const std::string tail = std::string(1, '\0') + "garbage";
    CHECK(read_token_response(200, kToken, hostile_context).grant);
    CHECK_FALSE(read_token_response(200, kToken + tail, hostile_context).grant);
    CHECK(parse_smart_configuration(kDiscovery, SigningAlgorithm::es384).configuration);
    CHECK_FALSE(parse_smart_configuration(kDiscovery + tail, SigningAlgorithm::es384).configuration);
  }

  TEST_CASE("a token answer or discovery document with a key twice is refused") {
    const auto token = read_token_response(
        200, R"({"access_token":"first-token","token_type":"Bearer","access_token":"second-token"})", hostile_context);
    CHECK_FALSE(token.grant);
    CHECK(token.error.find("-token") == std::string::npos);  // a credential is never quoted
    CHECK_FALSE(parse_smart_configuration(
                    R"({"token_endpoint":"https://ehr.example.org/token","token_endpoint":"https://elsewhere.example/t"})",
                    SigningAlgorithm::es384)
                    .configuration);
  }
}
