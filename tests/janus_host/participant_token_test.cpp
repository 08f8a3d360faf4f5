// Participant tokens (sdk-stubs/janus-host/participant_token.hpp): what the telehealth
// backend signs and the adapter believes. Each refusal is one a page could try.
#include <doctest/doctest.h>

#include "participant_token.hpp"

#include <string>

using janus_host::check_participant_token;
using janus_host::Role;
using janus_host::sign_participant_token;

namespace {

const std::string kSecret = "a-secret-of-the-backend-that-is-32-bytes-or-more";
constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::int64_t kLimit = 300;

std::string payload_with(const std::string& extra, std::int64_t expires = kNow + 60) {
  return R"({"version":1,"room":"1234","feed":"22","session":"appt-1","participant":"p-client",)"
         R"("role":"client","expires":)" +
         std::to_string(expires) + extra + "}";
}

}  // namespace

TEST_CASE("a token the backend signed says who the participant is") {
  std::string token = sign_participant_token(
      payload_with(R"(,"fhir_reference":"Patient/pat-1","age_years":34,"preferred_language":"es")"), kSecret);
  auto check = check_participant_token(token, kSecret, kNow, kLimit);
  REQUIRE(check.claims.has_value());
  CHECK(check.claims->room == "1234");
  CHECK(check.claims->feed == "22");
  CHECK(check.claims->session == "appt-1");
  CHECK(check.claims->participant == "p-client");
  CHECK(check.claims->role == Role::client);
  CHECK(check.claims->fhir_reference == "Patient/pat-1");
  CHECK(check.claims->age_years == 34);
  CHECK(check.claims->preferred_language == "es");
}

TEST_CASE("a token signed with another secret, or changed after signing, is forged") {
  std::string token = sign_participant_token(payload_with(""), kSecret);
  auto other = check_participant_token(sign_participant_token(payload_with(""), kSecret + "x"), kSecret, kNow, kLimit);
  CHECK_FALSE(other.claims);
  CHECK(other.error == "invalid_token");
  CHECK(other.reason == "the token's signature does not match");

  // The client's page makes itself the clinician: the payload no longer matches its MAC.
  std::string clinician = sign_participant_token(
      payload_with("").replace(payload_with("").find("\"client\""), 8, "\"clinician\""), kSecret);
  std::string swapped = clinician.substr(0, clinician.find('.')) + token.substr(token.find('.'));
  auto check = check_participant_token(swapped, kSecret, kNow, kLimit);
  CHECK_FALSE(check.claims);
  CHECK(check.error == "invalid_token");
}

TEST_CASE("a token's shape is checked before its signature is compared") {
  for (const std::string& bad : {std::string(), std::string("abc"), std::string("a.b.c"),
                                 std::string("abc.def"), std::string("abc.") + std::string(43, '=')}) {
    auto check = check_participant_token(bad, kSecret, kNow, kLimit);
    CHECK_FALSE(check.claims);
    CHECK(check.error == "invalid_token");
  }
  auto long_token = check_participant_token(std::string(9000, 'a') + ".b", kSecret, kNow, kLimit);
  CHECK(long_token.reason == "the token is too long");
}

TEST_CASE("an expired token, and one that lives longer than the server allows, are refused") {
  auto expired = check_participant_token(sign_participant_token(payload_with("", kNow), kSecret), kSecret, kNow, kLimit);
  CHECK(expired.error == "expired_token");
  CHECK(expired.reason == "the token has expired");
  auto too_long =
      check_participant_token(sign_participant_token(payload_with("", kNow + kLimit + 1), kSecret), kSecret, kNow, kLimit);
  CHECK(too_long.error == "expired_token");
  auto at_limit =
      check_participant_token(sign_participant_token(payload_with("", kNow + kLimit), kSecret), kSecret, kNow, kLimit);
  CHECK(at_limit.claims.has_value());
}

TEST_CASE("a signed payload that two readers could read differently is refused") {
  // The same key twice: one reader takes the first role, another the second.
  auto twice = check_participant_token(sign_participant_token(payload_with(R"(,"role":"clinician")"), kSecret),
                                       kSecret, kNow, kLimit);
  CHECK_FALSE(twice.claims);
  CHECK(twice.reason == "the token's payload is not one JSON object with each key once");
  // Text after the object, and a NUL inside a value.
  CHECK_FALSE(check_participant_token(sign_participant_token(payload_with("") + " {}", kSecret), kSecret, kNow, kLimit).claims);
  CHECK_FALSE(check_participant_token(sign_participant_token(payload_with(R"(,"display_name":"A\u0000B")"), kSecret),
                                      kSecret, kNow, kLimit)
                  .claims);
  std::string with_nul = payload_with("");
  with_nul.insert(with_nul.size() - 1, std::string(" \0", 2));
  CHECK(check_participant_token(sign_participant_token(with_nul, kSecret), kSecret, kNow, kLimit).reason ==
        "the token's payload has a NUL byte");
}

TEST_CASE("every required claim must be there, with its type") {
  const std::string full = payload_with("");
  for (const char* key : {"room", "feed", "session", "participant"}) {
    std::string payload = full;
    std::size_t at = payload.find(std::string("\"") + key + "\"");
    payload.replace(at + 1, 1, "x");  // "room" -> "xoom": absent
    auto check = check_participant_token(sign_participant_token(payload, kSecret), kSecret, kNow, kLimit);
    CHECK_FALSE(check.claims);
    CHECK(check.reason == std::string("the token has no ") + key + " text");
  }
  auto role = check_participant_token(
      sign_participant_token(R"({"version":1,"room":"1","feed":"2","session":"s","participant":"p","role":"admin","expires":)" +
                                 std::to_string(kNow + 10) + "}",
                             kSecret),
      kSecret, kNow, kLimit);
  CHECK(role.reason == "the token's role is not client, clinician or other_rater");
  auto version = check_participant_token(sign_participant_token(R"({"version":2})", kSecret), kSecret, kNow, kLimit);
  CHECK(version.reason == "the token's version is not 1");
  auto age = check_participant_token(sign_participant_token(payload_with(R"(,"age_years":"34")"), kSecret), kSecret,
                                     kNow, kLimit);
  CHECK(age.reason == "the token's age_years is not an integer");
  auto out_of_range =
      check_participant_token(sign_participant_token(payload_with(R"(,"age_years":400)"), kSecret), kSecret, kNow, kLimit);
  REQUIRE(out_of_range.claims);
  CHECK(out_of_range.claims->age_years == -1);
}
