// Reading the token endpoint's answers, the form sent to it and the renewal margin.
#include <doctest/doctest.h>

#include "auth/token_response.hpp"
#include "support/text.hpp"

using namespace alliance::fhir::auth;
using namespace std::chrono_literals;
using alliance::testing::contains;

namespace {

const TokenRequestContext context{"alliance-test-client", "alliance-es384", "system/Observation.c", {"system/Observation.c"}};


}  // namespace

TEST_SUITE("token_response") {
  TEST_CASE("a bearer token with its lifetime is read") {
    const auto reading = read_token_response(
        200, R"({"access_token":"abc.DEF-123_~+/=","token_type":"Bearer","expires_in":300,"scope":"x"})", context);
    REQUIRE_MESSAGE(reading.grant, reading.error);
    CHECK(reading.grant->access_token == "abc.DEF-123_~+/=");
    CHECK(reading.grant->lifetime == 300s);
  }

  TEST_CASE("token_type is compared without case and expires_in defaults to 300 s and is bounded") {
    auto reading = read_token_response(200, R"({"access_token":"t","token_type":"bearer"})", context);
    REQUIRE(reading.grant);
    CHECK(reading.grant->lifetime == 300s);
    reading = read_token_response(200, R"({"access_token":"t","token_type":"BEARER","expires_in":"120"})", context);
    REQUIRE(reading.grant);
    CHECK(reading.grant->lifetime == 120s);
    reading = read_token_response(200, R"({"access_token":"t","token_type":"bearer","expires_in":999999})", context);
    REQUIRE(reading.grant);
    CHECK(reading.grant->lifetime == 3600s);
    reading = read_token_response(200, R"({"access_token":"t","token_type":"bearer","expires_in":2.9})", context);
    REQUIRE(reading.grant);
    CHECK(reading.grant->lifetime == 2s);
  }

  TEST_CASE("the granted scopes are read from scope and an absent scope means as requested") {
    const auto listed = read_token_response(
        200, R"({"access_token":"t","token_type":"bearer","scope":"  system/Observation.c   system/Questionnaire.rs "})",
        context);
    REQUIRE(listed.grant);
    CHECK(listed.grant->granted_scopes.state == GrantedScopesState::listed);
    CHECK(listed.grant->granted_scopes.scopes == std::vector<std::string>{"system/Observation.c", "system/Questionnaire.rs"});
    for (const char* body : {R"({"access_token":"t","token_type":"bearer"})",
                             R"({"access_token":"t","token_type":"bearer","scope":null})"}) {
      CAPTURE(body);
      const auto absent = read_token_response(200, body, context);
      REQUIRE(absent.grant);
      CHECK(absent.grant->granted_scopes.state == GrantedScopesState::as_requested);
      CHECK(absent.grant->granted_scopes.scopes.empty());
    }
  }

  TEST_CASE("an empty scope grants nothing and an unreadable scope keeps the token") {
    for (const char* body : {R"({"access_token":"t","token_type":"bearer","scope":""})",
                             R"({"access_token":"t","token_type":"bearer","scope":"   "})"}) {
      CAPTURE(body);
      const auto empty = read_token_response(200, body, context);
      REQUIRE(empty.grant);
      CHECK(empty.grant->granted_scopes.state == GrantedScopesState::listed);
      CHECK(empty.grant->granted_scopes.scopes.empty());
    }
    const std::string oversized(granted_scopes_limit_bytes + 1, 'a');
    const std::string just_fits = "system/Observation.c " + std::string(granted_scopes_limit_bytes - 21, 'a');
    for (const std::string& scope : {std::string(R"("a\"b")"), std::string("42"), std::string(R"(["system/Observation.c"])"),
                                     std::string(R"("a\u0001b")"), "\"" + oversized + "\""}) {
      CAPTURE(scope.substr(0, 40));
      const auto unreadable =
          read_token_response(200, R"({"access_token":"t","token_type":"bearer","scope":)" + scope + "}", context);
      REQUIRE_MESSAGE(unreadable.grant, unreadable.error);
      CHECK(unreadable.grant->access_token == "t");
      CHECK(unreadable.grant->granted_scopes.state == GrantedScopesState::unreadable);
      CHECK(unreadable.grant->granted_scopes.scopes.empty());
    }
    const auto at_limit =
        read_token_response(200, R"({"access_token":"t","token_type":"bearer","scope":")" + just_fits + "\"}", context);
    REQUIRE(at_limit.grant);
    CHECK(at_limit.grant->granted_scopes.state == GrantedScopesState::listed);
    CHECK(at_limit.grant->granted_scopes.scopes.size() == 2);
  }

  TEST_CASE("scopes are split at spaces") {
    CHECK(split_scopes(" a  b\tc ") == std::vector<std::string>{"a", "b", "c"});
    CHECK(split_scopes("").empty());
    CHECK(split_scopes("   ").empty());
  }

  TEST_CASE("unusable 200 answers are invalid responses") {
    for (const char* body : {"", "[]", R"({"token_type":"bearer"})", R"({"access_token":"","token_type":"bearer"})",
                             R"({"access_token":"a b","token_type":"bearer"})",
                             R"({"access_token":"t","token_type":"bearer","expires_in":0})",
                             R"({"access_token":"t","token_type":"bearer","expires_in":-5})",
                             R"({"access_token":"t","token_type":"bearer","expires_in":"soon"})"}) {
      CAPTURE(body);
      const auto reading = read_token_response(200, body, context);
      CHECK_FALSE(reading.grant);
      CHECK(reading.kind == TokenErrorKind::invalid_response);
      CHECK_FALSE(reading.permanent);
    }
    const auto dpop = read_token_response(200, R"({"access_token":"t","token_type":"DPoP"})", context);
    CHECK_FALSE(dpop.grant);
    CHECK(dpop.permanent);
    CHECK(contains(dpop.error, "DPoP"));
  }

  TEST_CASE("invalid_client names the likely causes and is permanent") {
    const auto reading = read_token_response(
        401, R"({"error":"invalid_client","error_description":"Signature verification failed"})", context);
    CHECK(reading.kind == TokenErrorKind::client_rejected);
    CHECK(reading.permanent);
    CHECK(contains(reading.error, "refused the client's key"));
    CHECK(contains(reading.error, "Signature verification failed"));
    CHECK(contains(reading.error, "alliance-test-client"));
    CHECK(contains(reading.error, "alliance-es384"));
    CHECK(read_token_response(401, "", context).kind == TokenErrorKind::client_rejected);
  }

  TEST_CASE("invalid_client for a client with a secret names the secret file, not a key") {
    TokenRequestContext with_secret = context;
    with_secret.key_id.clear();
    const auto reading = read_token_response(401, R"({"error":"invalid_client"})", with_secret);
    CHECK(reading.kind == TokenErrorKind::client_rejected);
    CHECK(reading.permanent);
    CHECK(contains(reading.error, "refused the client id and secret"));
    CHECK(contains(reading.error, "fhir.smart.client_secret_file"));
    CHECK_FALSE(contains(reading.error, "key"));
  }

  TEST_CASE("client_secret_basic form-encodes the id and the secret before base64 (RFC 6749 2.3.1)") {
    // base64("s6BhdRkqt3:gX1fBat3bV"), RFC 6749 section 2.3.1's example.
    CHECK(basic_authorization("s6BhdRkqt3", "gX1fBat3bV") == "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
    // A ':' and a space are encoded, so the server splits at the one ':' between them:
    // base64("a%3Ab:c+d%2F") .
    CHECK(basic_authorization("a:b", "c d/") == "Basic YSUzQWI6YytkJTJG");
  }

  TEST_CASE("an error description that looks like a credential is left out") {
    const std::string echoed = "eyJhbGciOiJSUzM4NCJ9.eyJpc3MiOiJhbGxpYW5jZS10ZXN0LWNsaWVudCJ9.c2lnbmF0dXJl";
    const auto reading = read_token_response(
        400, R"({"error":"invalid_client","error_description":"bad assertion )" + echoed + R"("})", context);
    CHECK(reading.kind == TokenErrorKind::client_rejected);
    CHECK_FALSE(contains(reading.error, "eyJ"));
    CHECK_FALSE(contains(reading.error, "bad assertion"));
  }

  TEST_CASE("other OAuth errors are permanent request rejections and 5xx 408 and 429 are not permanent") {
    for (const char* code : {"invalid_scope", "unauthorized_client", "invalid_grant", "unsupported_grant_type", "invalid_request"}) {
      CAPTURE(code);
      const auto reading = read_token_response(400, std::string(R"({"error":")") + code + "\"}", context);
      CHECK(reading.kind == TokenErrorKind::request_rejected);
      CHECK(reading.permanent);
      CHECK(contains(reading.error, code));
    }
    const auto scope = read_token_response(400, R"({"error":"invalid_scope"})", context);
    CHECK(contains(scope.error, "system/Observation.c"));
    for (int status : {500, 502, 503, 408, 429}) {
      const auto reading = read_token_response(status, "<html>busy</html>", context);
      CHECK(reading.kind == TokenErrorKind::server_error);
      CHECK_FALSE(reading.permanent);
    }
    const auto not_found = read_token_response(404, "", context);
    CHECK(not_found.kind == TokenErrorKind::request_rejected);
    CHECK(not_found.permanent);
  }

  TEST_CASE("the form is encoded as application/x-www-form-urlencoded") {
    CHECK(form_encode({{"grant_type", "client_credentials"}, {"scope", "system/Observation.c system/X.*"}}) ==
          "grant_type=client_credentials&scope=system%2FObservation.c+system%2FX.%2A");
    CHECK(form_encode({{"a", "x=y&z:é"}}) == "a=x%3Dy%26z%3A%C3%A9");
  }

  TEST_CASE("scopes are normalized and checked") {
    CHECK(normalize_scopes("  system/Observation.c   system/QuestionnaireResponse.c ") ==
          "system/Observation.c system/QuestionnaireResponse.c");
    CHECK(normalize_scopes("system/*.write") == "system/*.write");
    CHECK_FALSE(normalize_scopes(""));
    CHECK_FALSE(normalize_scopes("   "));
    CHECK_FALSE(normalize_scopes("system/\"x\""));
    CHECK_FALSE(normalize_scopes("a\nb"));
  }

  TEST_CASE("tokens are renewed 60 s before expiry or at a fifth of short lifetimes") {
    CHECK(renewal_margin(300s) == 60s);
    CHECK(renewal_margin(3600s) == 60s);
    CHECK(renewal_margin(3s) == 600ms);
    CHECK(renewal_margin(100s) == 20s);
  }
}
