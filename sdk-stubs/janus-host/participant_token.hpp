// Participant tokens: who a page's participant is, vouched for by the telehealth
// application's backend (docs/janus.md, "Participant tokens"). The browser carries the
// token but cannot change it: it is signed with HMAC-SHA256 under a secret that only the
// backend and this adapter hold.
//
//   token = base64url(payload) "." base64url(HMAC-SHA256(secret, base64url(payload)))
//
// A plain function, text in, claims or error out: what tests/fuzz calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace janus_host {

enum class Role { client, clinician, other_rater };

// What a good token says. Strings are as the backend wrote them; the ABI's own checks
// (lengths, UTF-8, "Type/id") are the plugin's, which refuses or drops what it must.
struct ParticipantClaims {
  std::string room;
  std::string feed;
  std::string session;
  std::string participant;
  Role role = Role::client;
  std::int64_t expires = 0;  // Unix seconds
  // Optional participant fields (empty, or -1 for the age, when absent).
  std::string display_name;
  std::string fhir_reference;
  std::string birth_date;
  std::string preferred_language;
  std::string rates_participant;
  std::string relationship;
  int age_years = -1;
  // Optional session fields, used from the clinician's token.
  std::string encounter;
  std::string appointment_kind;  // "" (individual), individual, couple, family, group
  std::string start_time;
};

// The error codes a page sees (docs/janus.md).
inline constexpr std::string_view kInvalidToken = "invalid_token";
inline constexpr std::string_view kExpiredToken = "expired_token";

struct TokenCheck {
  std::optional<ParticipantClaims> claims;
  std::string error;   // kInvalidToken or kExpiredToken when refused
  std::string reason;  // plain words for the page and the log; never quotes the token
};

inline constexpr std::size_t kMaximumTokenBytes = 8 * 1024;
inline constexpr std::size_t kMaximumPayloadBytes = 4 * 1024;
inline constexpr std::size_t kMinimumSecretBytes = 32;

// Checks the signature first (in constant time), then the payload: a JSON object of at
// most kMaximumPayloadBytes, each key once, no NUL, every required key of the right
// type, `expires` after `now_seconds` and at most `lifetime_limit_seconds` after it.
TokenCheck check_participant_token(std::string_view token, std::string_view secret,
                                   std::int64_t now_seconds, std::int64_t lifetime_limit_seconds);

// The encoding the backend uses (tests and the demo's backend sign with it too).
std::string sign_participant_token(std::string_view payload_json, std::string_view secret);

std::string_view role_name(Role role);

}  // namespace janus_host
