// The token endpoint's side of the exchange, without the network: the form the request
// sends, how its answer is read, and how long a token is kept. Pure functions, for
// TokenSource and its tests.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/token_source.hpp"

namespace alliance::fhir::auth {

// The longest `scope` in a token answer that is read; a longer one is unreadable.
inline constexpr std::size_t granted_scopes_limit_bytes = 4096;

// Lifetime when the server leaves expires_in out, and the longest one believed.
inline constexpr std::chrono::seconds default_token_lifetime{300};
inline constexpr std::chrono::seconds longest_token_lifetime{3600};

// application/x-www-form-urlencoded: name=value&..., everything but ALPHA, DIGIT and
// "-._~" percent-encoded, a space as '+'.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// The Authorization header's value for client_secret_basic: "Basic " and the base64 of
// the form-encoded client id, ':' and the form-encoded secret (RFC 6749 section 2.3.1,
// which encodes both before Basic so that a ':' in either survives). A credential.
std::string basic_authorization(std::string_view client_id, std::string_view client_secret);

// The scopes with single spaces between them, or nothing when one contains a character
// RFC 6749 does not allow in a scope (a control, a space inside, '"' or '\') or there
// are none.
std::optional<std::string> normalize_scopes(std::string_view scopes);

// The scopes of a normalized (or any space-separated) list, one per entry.
std::vector<std::string> split_scopes(std::string_view scopes);

// How long before it expires a token is renewed: 60 s, or a fifth of its lifetime
// when that is less.
std::chrono::milliseconds renewal_margin(std::chrono::milliseconds lifetime);

// What the messages may name: settings, and what the server said it supports.
struct TokenRequestContext {
  std::string client_id;
  std::string key_id;
  std::string scopes;
  std::vector<std::string> scopes_supported;  // from discovery; may be empty
};

struct TokenGrant {
  std::string access_token;  // a credential: never log it
  std::chrono::seconds lifetime{default_token_lifetime};
  GrantedScopes granted_scopes;
};

// Either a grant, or kind/error/permanent as TokenResult carries them.
struct TokenResponseReading {
  std::optional<TokenGrant> grant;
  TokenErrorKind kind = TokenErrorKind::none;
  std::string error;
  bool permanent = false;
};

// Reads the token endpoint's answer (status and body). 200: access_token (printable
// ASCII without spaces, at most 16 KiB), token_type Bearer (any case), expires_in (a
// positive number, also as a string; default 300 s, at most an hour), scope (see
// GrantedScopes; an unreadable scope does not cost the token). 400/401: the
// OAuth error code decides the kind and whether it is permanent, and the message names
// the likely cause. The server's error_description is quoted only when it holds no
// run of 40 or more token characters (it might echo a credential).
TokenResponseReading read_token_response(int status, std::string_view body, const TokenRequestContext& context);

}  // namespace alliance::fhir::auth
