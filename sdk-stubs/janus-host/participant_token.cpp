#include "participant_token.hpp"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <limits>
#include <memory>

namespace janus_host {
namespace {

TokenCheck refuse(std::string_view error, std::string reason) {
  return TokenCheck{std::nullopt, std::string(error), std::move(reason)};
}

std::string base64url_encode(std::string_view bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(written));
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& character : text) {
    if (character == '+') character = '-';
    if (character == '/') character = '_';
  }
  return text;
}

bool is_base64url(char character) {
  return (character >= 'A' && character <= 'Z') || (character >= 'a' && character <= 'z') ||
         (character >= '0' && character <= '9') || character == '-' || character == '_';
}

// The bytes, or nothing for a character outside the alphabet (padding included) or a
// length that no encoding produces.
std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string standard;
  standard.reserve(text.size() + 3);
  for (char character : text) {
    if (!is_base64url(character)) return std::nullopt;
    standard += character == '-' ? '+' : character == '_' ? '/' : character;
  }
  std::size_t padding = (4 - standard.size() % 4) % 4;
  standard.append(padding, '=');
  std::string bytes(standard.size() / 4 * 3, '\0');
  int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                reinterpret_cast<const unsigned char*>(standard.data()),
                                static_cast<int>(standard.size()));
  if (decoded < 0 || static_cast<std::size_t>(decoded) < padding) return std::nullopt;
  bytes.resize(static_cast<std::size_t>(decoded) - padding);
  // Unused bits in the last character must be zero, so that one token has one spelling.
  if (base64url_encode(bytes) != text) return std::nullopt;
  return bytes;
}

std::array<unsigned char, 32> mac_of(std::string_view text, std::string_view secret) {
  std::array<unsigned char, 32> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac.data(), &length);
  return mac;
}

struct JsonRelease {
  void operator()(json_t* value) const { json_decref(value); }
};

// A string member, or nothing when absent; `wrong` is set when present but not a string.
std::optional<std::string> text_member(json_t* object, const char* key, bool& wrong) {
  json_t* value = json_object_get(object, key);
  if (value == nullptr) return std::nullopt;
  if (!json_is_string(value)) {
    wrong = true;
    return std::nullopt;
  }
  return std::string(json_string_value(value), json_string_length(value));
}

std::optional<Role> role_of(std::string_view name) {
  if (name == "client") return Role::client;
  if (name == "clinician") return Role::clinician;
  if (name == "other_rater") return Role::other_rater;
  return std::nullopt;
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::client:
      return "client";
    case Role::clinician:
      return "clinician";
    case Role::other_rater:
      return "other_rater";
  }
  return "client";
}

std::string sign_participant_token(std::string_view payload_json, std::string_view secret) {
  std::string encoded = base64url_encode(payload_json);
  auto mac = mac_of(encoded, secret);
  return encoded + "." +
         base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

TokenCheck check_participant_token(std::string_view token, std::string_view secret,
                                   std::int64_t now_seconds, std::int64_t lifetime_limit_seconds) {
  if (token.empty()) return refuse(kInvalidToken, "no token");
  if (token.size() > kMaximumTokenBytes) return refuse(kInvalidToken, "the token is too long");
  std::size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos) {
    return refuse(kInvalidToken, "a token has two parts separated by one dot");
  }
  std::string_view encoded_payload = token.substr(0, dot);
  std::optional<std::string> signature = base64url_decode(token.substr(dot + 1));
  if (!signature || signature->size() != 32) {
    return refuse(kInvalidToken, "the token's signature is not an HMAC-SHA256 in base64url");
  }
  auto expected = mac_of(encoded_payload, secret);
  if (CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) != 0) {
    return refuse(kInvalidToken, "the token's signature does not match");
  }

  // Signed by the backend: from here on a refusal is the backend's mistake, not forgery.
  std::optional<std::string> payload = base64url_decode(encoded_payload);
  if (!payload) return refuse(kInvalidToken, "the token's payload is not base64url");
  if (payload->size() > kMaximumPayloadBytes) {
    return refuse(kInvalidToken, "the token's payload is over 4 KiB");
  }
  if (payload->find('\0') != std::string::npos) {
    return refuse(kInvalidToken, "the token's payload has a NUL byte");
  }
  json_error_t parse_error{};
  std::unique_ptr<json_t, JsonRelease> root(json_loadb(
      payload->data(), payload->size(), JSON_REJECT_DUPLICATES, &parse_error));  // \u0000 is refused unless JSON_ALLOW_NUL
  if (!root || !json_is_object(root.get())) {
    return refuse(kInvalidToken,
                  "the token's payload is not one JSON object with each key once");
  }
  json_t* object = root.get();
  json_t* version = json_object_get(object, "version");
  if (!json_is_integer(version) || json_integer_value(version) != 1) {
    return refuse(kInvalidToken, "the token's version is not 1");
  }

  bool wrong = false;
  ParticipantClaims claims;
  struct Required {
    const char* key;
    std::string* target;
  };
  for (const Required& required : {Required{"room", &claims.room}, Required{"feed", &claims.feed},
                                   Required{"session", &claims.session},
                                   Required{"participant", &claims.participant}}) {
    std::optional<std::string> value = text_member(object, required.key, wrong);
    if (!value || value->empty()) {
      return refuse(kInvalidToken, std::string("the token has no ") + required.key + " text");
    }
    *required.target = std::move(*value);
  }
  std::optional<std::string> role_text = text_member(object, "role", wrong);
  std::optional<Role> role = role_text ? role_of(*role_text) : std::nullopt;
  if (!role) return refuse(kInvalidToken, "the token's role is not client, clinician or other_rater");
  claims.role = *role;

  json_t* expires = json_object_get(object, "expires");
  if (!json_is_integer(expires)) return refuse(kInvalidToken, "the token has no expires integer");
  claims.expires = json_integer_value(expires);
  if (claims.expires <= now_seconds) return refuse(kExpiredToken, "the token has expired");
  if (claims.expires - now_seconds > lifetime_limit_seconds) {
    return refuse(kExpiredToken, "the token lives longer than this server allows (" +
                                     std::to_string(lifetime_limit_seconds) + " s)");
  }

  struct Optional {
    const char* key;
    std::string* target;
  };
  for (const Optional& optional :
       {Optional{"display_name", &claims.display_name},
        Optional{"fhir_reference", &claims.fhir_reference},
        Optional{"birth_date", &claims.birth_date},
        Optional{"preferred_language", &claims.preferred_language},
        Optional{"rates_participant", &claims.rates_participant},
        Optional{"relationship", &claims.relationship}, Optional{"encounter", &claims.encounter},
        Optional{"appointment_kind", &claims.appointment_kind},
        Optional{"start_time", &claims.start_time}}) {
    std::optional<std::string> value = text_member(object, optional.key, wrong);
    if (wrong) return refuse(kInvalidToken, std::string("the token's ") + optional.key + " is not text");
    if (value) *optional.target = std::move(*value);
  }
  if (json_t* age = json_object_get(object, "age_years"); age != nullptr) {
    if (!json_is_integer(age)) return refuse(kInvalidToken, "the token's age_years is not an integer");
    json_int_t years = json_integer_value(age);
    // Out of the ABI's range: unknown, as the ABI treats it.
    claims.age_years = years >= 0 && years <= 150 ? static_cast<int>(years) : -1;
  }
  const std::string& kind = claims.appointment_kind;
  if (!kind.empty() && kind != "individual" && kind != "couple" && kind != "family" && kind != "group") {
    return refuse(kInvalidToken, "the token's appointment_kind is not individual, couple, family or group");
  }
  return TokenCheck{std::move(claims), "", ""};
}

}  // namespace janus_host
