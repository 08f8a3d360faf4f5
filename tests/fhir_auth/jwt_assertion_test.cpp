// The client assertion: what it says, that it verifies with the public key, and that
// no two are alike.
#include <doctest/doctest.h>

#include <set>

#include "auth/base64url.hpp"
#include "auth/jwt_assertion.hpp"
#include "test_support.hpp"

using namespace alliance::fhir::auth;
using namespace alliance::fhir::auth::testing;

namespace {

const std::string token_endpoint = "https://ehr.example.org/oauth2/token";

std::unique_ptr<SigningKey> load(const std::string& file) {
  SigningKeyLoad load = SigningKey::load_pem_file(key_path(file));
  REQUIRE_MESSAGE(load.key, load.error);
  return std::move(load.key);
}

DecodedJwt make_and_decode(const SigningKey& key, const std::string& key_id, const SystemClock& clock = {}) {
  const ClientAssertion assertion = make_client_assertion(key, {"alliance-test-client", token_endpoint, key_id}, clock);
  REQUIRE_MESSAGE(assertion.ok(), assertion.error);
  const std::optional<DecodedJwt> decoded = decode_jwt(assertion.jwt);
  REQUIRE(decoded);
  return *decoded;
}

}  // namespace

TEST_SUITE("jwt") {
  TEST_CASE("base64url round-trips every length without padding") {
    std::string bytes;
    for (int length = 0; length < 70; ++length) {
      const std::string encoded = base64url_encode(bytes);
      CHECK(encoded.find_first_of("+/=") == std::string::npos);
      const auto decoded = base64url_decode(encoded);
      REQUIRE(decoded);
      CHECK(*decoded == bytes);
      bytes += static_cast<char>(length * 37 + 250);
    }
    CHECK(base64url_encode("\xfb\xff") == "-_8");
    CHECK_FALSE(base64url_decode("ab=c"));
    CHECK_FALSE(base64url_decode("abcde"));
  }

  TEST_CASE("an RSA key signs RS384 assertions that verify with its public key") {
    const auto key = load("rs384.key");
    CHECK(key->algorithm() == SigningAlgorithm::rs384);
    const DecodedJwt jwt = make_and_decode(*key, "alliance-rs384");
    CHECK(jwt.header == nlohmann::json{{"alg", "RS384"}, {"kid", "alliance-rs384"}, {"typ", "JWT"}});
    CHECK(jwt.signature.size() == 256);
    CHECK(verify_signature(jwt, key_path("rs384.pub.pem")));
  }

  TEST_CASE("an EC P-384 key signs ES384 assertions as 96-byte R||S that verify with its public key") {
    const auto key = load("es384.key");
    CHECK(key->algorithm() == SigningAlgorithm::es384);
    const DecodedJwt jwt = make_and_decode(*key, "alliance-es384");
    CHECK(jwt.header == nlohmann::json{{"alg", "ES384"}, {"kid", "alliance-es384"}, {"typ", "JWT"}});
    CHECK(jwt.signature.size() == 96);
    CHECK(verify_signature(jwt, key_path("es384.pub.pem")));
  }

  TEST_CASE("a signature does not verify with another key or over changed claims") {
    const auto key = load("es384.key");
    DecodedJwt jwt = make_and_decode(*key, "alliance-es384");
    CHECK_FALSE(verify_signature(jwt, key_path("rs384.pub.pem")));
    jwt.signing_input += "x";
    CHECK_FALSE(verify_signature(jwt, key_path("es384.pub.pem")));
  }

  TEST_CASE("the claims are exactly iss sub aud exp iat and jti with exp four minutes after iat") {
    const auto key = load("rs384.key");
    const auto fixed = std::chrono::system_clock::time_point(std::chrono::seconds(1'750'000'000));
    const DecodedJwt jwt = make_and_decode(*key, "alliance-rs384", [fixed] { return fixed; });
    CHECK(jwt.claims.size() == 6);
    CHECK(jwt.claims.at("iss") == "alliance-test-client");
    CHECK(jwt.claims.at("sub") == "alliance-test-client");
    CHECK(jwt.claims.at("aud") == token_endpoint);
    CHECK(jwt.claims.at("iat") == 1'750'000'000);
    CHECK(jwt.claims.at("exp") == 1'750'000'240);
    const std::string jti = jwt.claims.at("jti");
    CHECK(jti.size() == 32);
    CHECK(jti.find_first_not_of("0123456789abcdef") == std::string::npos);
  }

  TEST_CASE("exp is at most five minutes after the real time") {
    const auto key = load("es384.key");
    const auto before = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    const DecodedJwt jwt = make_and_decode(*key, "alliance-es384");
    const long long exp = jwt.claims.at("exp");
    const long long iat = jwt.claims.at("iat");
    CHECK(iat >= before);
    CHECK(iat <= before + 2);
    CHECK(exp - before <= 300);
    CHECK(exp > iat);
  }

  TEST_CASE("every assertion has a new jti") {
    const auto key = load("es384.key");
    std::set<std::string> seen;
    for (int index = 0; index < 50; ++index) {
      seen.insert(make_and_decode(*key, "alliance-es384").claims.at("jti").get<std::string>());
    }
    CHECK(seen.size() == 50);
  }
}
