// Reading .well-known/smart-configuration: what is required, what is checked.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "auth/smart_configuration.hpp"
#include "support/text.hpp"

using namespace alliance::fhir::auth;
using alliance::testing::contains;

namespace {

const std::string good = R"({
  "token_endpoint": "https://ehr.example.org/oauth2/token",
  "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
  "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
  "grant_types_supported": ["client_credentials", "authorization_code"],
  "scopes_supported": ["system/Observation.c", "system/QuestionnaireResponse.c"],
  "capabilities": ["client-confidential-asymmetric"]
})";


SmartConfigurationResult parse_with(const std::string& field, const std::string& value,
                                    std::optional<SigningAlgorithm> algorithm = SigningAlgorithm::rs384) {
  nlohmann::json document = nlohmann::json::parse(good);
  if (value.empty()) {
    document.erase(field);
  } else {
    document[field] = nlohmann::json::parse(value);
  }
  return parse_smart_configuration(document.dump(), algorithm);
}

}  // namespace

TEST_SUITE("smart_configuration") {
  TEST_CASE("a complete document gives the token endpoint and the lists") {
    const SmartConfigurationResult result = parse_smart_configuration(good, SigningAlgorithm::es384);
    REQUIRE_MESSAGE(result.configuration, result.error);
    CHECK(result.configuration->token_endpoint == "https://ehr.example.org/oauth2/token");
    CHECK(result.configuration->scopes_supported.size() == 2);
    CHECK(result.configuration->token_endpoint_auth_signing_alg_values_supported.size() == 2);
  }

  TEST_CASE("a document with only the token endpoint is enough") {
    const auto result = parse_smart_configuration(R"({"token_endpoint":"https://ehr.example.org/token"})",
                                                  SigningAlgorithm::rs384);
    CHECK(result.configuration);
  }

  TEST_CASE("the token endpoint must be there and be https") {
    auto result = parse_with("token_endpoint", "");
    CHECK_FALSE(result.configuration);
    CHECK(result.permanent);
    CHECK(contains(result.error, "no token_endpoint"));
    result = parse_with("token_endpoint", R"("http://ehr.example.org/token")");
    CHECK_FALSE(result.configuration);
    CHECK(contains(result.error, "https"));
    CHECK_FALSE(parse_with("token_endpoint", R"("https://ehr.example.org/to ken")").configuration);
    CHECK_FALSE(parse_with("token_endpoint", "42").configuration);
    CHECK_FALSE(parse_with("token_endpoint", "\"https://" + std::string(3000, 'a') + "\"").configuration);
  }

  TEST_CASE("our algorithm must be listed when the server lists algorithms") {
    auto result = parse_with("token_endpoint_auth_signing_alg_values_supported", R"(["RS384"])", SigningAlgorithm::es384);
    CHECK_FALSE(result.configuration);
    CHECK(result.permanent);
    CHECK(contains(result.error, "does not accept ES384"));
    CHECK(contains(result.error, "RS384"));
    CHECK(parse_with("token_endpoint_auth_signing_alg_values_supported", R"(["RS384"])").configuration);
  }

  TEST_CASE("private_key_jwt must be listed when the server lists methods") {
    auto result = parse_with("token_endpoint_auth_methods_supported", R"(["client_secret_basic"])");
    CHECK_FALSE(result.configuration);
    CHECK(contains(result.error, "private_key_jwt"));
    CHECK(parse_with("token_endpoint_auth_methods_supported", "").configuration);
  }

  TEST_CASE("a client with a secret needs client_secret_basic where methods are listed, and no algorithm") {
    const auto refused = parse_with("token_endpoint_auth_methods_supported", R"(["private_key_jwt"])", std::nullopt);
    CHECK_FALSE(refused.configuration);
    CHECK(refused.permanent);
    CHECK(contains(refused.error, "does not offer client_secret_basic"));
    CHECK(contains(refused.error, "fhir.smart.private_key_file"));
    CHECK(parse_with("token_endpoint_auth_methods_supported", R"(["private_key_jwt","client_secret_basic"])",
                     std::nullopt).configuration);
    // Signing algorithms are for assertions: a secret signs nothing.
    CHECK(parse_with("token_endpoint_auth_methods_supported", "", std::nullopt).configuration);
    CHECK(parse_with("token_endpoint_auth_signing_alg_values_supported", R"(["ES384"])", std::nullopt).configuration);
  }

  TEST_CASE("client_credentials must be listed when the server lists grant types") {
    CHECK_FALSE(parse_with("grant_types_supported", R"(["authorization_code"])").configuration);
  }

  TEST_CASE("lists of the wrong type or size are refused") {
    CHECK_FALSE(parse_with("scopes_supported", R"("system/Observation.c")").configuration);
    CHECK_FALSE(parse_with("scopes_supported", R"([1, 2])").configuration);
    nlohmann::json many = nlohmann::json::array();
    for (int index = 0; index < 1001; ++index) many.push_back("s");
    CHECK_FALSE(parse_with("scopes_supported", many.dump()).configuration);
    CHECK(parse_with("scopes_supported", "null").configuration);
  }

  TEST_CASE("something that is no JSON object or too large is refused") {
    CHECK_FALSE(parse_smart_configuration("<html>", SigningAlgorithm::rs384).configuration);
    CHECK_FALSE(parse_smart_configuration("[]", SigningAlgorithm::rs384).configuration);
    const std::string padded = R"({"token_endpoint":"https://e/t","x":")" + std::string(300 * 1024, 'x') + "\"}";
    CHECK_FALSE(parse_smart_configuration(padded, SigningAlgorithm::rs384).configuration);
  }

  TEST_CASE("server text in messages is made printable and short") {
    auto result = parse_with("token_endpoint_auth_methods_supported", R"(["a\u0007b", ")" + std::string(500, 'z') + "\"]");
    CHECK_FALSE(result.configuration);
    CHECK_FALSE(contains(result.error, "\a"));
    CHECK(contains(result.error, "a?b"));
    CHECK(result.error.size() < 600);
  }
}
