// Access tokens for the FHIR server by SMART Backend Services (client_credentials with
// a private_key_jwt client assertion), cached until shortly before they expire.
//
//   SMART discovery (once, cached) -> token endpoint
//   POST token endpoint: grant_type=client_credentials, scope, client_assertion (JWT)
//   -> "Bearer <access token>" for the Authorization header of FHIR requests
//
// Asynchronous like the HTTPS client: get() returns at once and the callback runs later
// on the io_context's thread (the plugin's worker), never inside get(). Results are
// values, never exceptions.
//
// Privacy: the access token, the client assertion and the private key are credentials.
// They are never logged and never put into a message: errors name the server, the
// step and the likely cause (and the server's error code and description, with
// anything that looks like a token cut out).
//
// Only std types here: Boost.Asio and OpenSSL stay inside the .cpp files.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/https_client.hpp"
#include "auth/jwt_assertion.hpp"

namespace alliance::fhir::auth {

struct SmartSettings {
  // The client id the EHR registered for this backend (iss and sub of the assertion).
  std::string client_id;
  // PEM private key, unencrypted, mode 600: RSA >= 2048 bits (RS384) or EC P-384 (ES384).
  std::string private_key_file;
  // The kid of the matching public key in the JWKS registered with the EHR.
  std::string key_id;
  // Space-separated; SMART v2 by default. v1 scopes ("system/Observation.write") are
  // sent as given.
  std::string scopes = "system/QuestionnaireResponse.c system/Observation.c";
  // false: the token request names no scope, for an EHR that ignores it (Epic's
  // documentation says so) or refuses it; the server grants what it registered.
  bool send_scope = true;
  // https://... ; empty: read it from [FHIR base]/.well-known/smart-configuration.
  std::string token_endpoint;
  // Not empty: authenticate with the client id and this secret as HTTP Basic
  // (client_secret_basic, RFC 6749 section 2.3.1; Oracle Health's system accounts)
  // instead of a signed assertion; private_key_file and key_id are then not used.
  // A credential: never logged or put into a message.
  std::string client_secret;
  // The clock for the assertions' iat and exp; empty: the system clock. For tests.
  SystemClock clock;
};

// Why there is no token. New values only ever go at the end.
enum class TokenErrorKind {
  none,
  configuration,     // the settings cannot work (also: the token endpoint the server names is unusable)
  discovery,         // the SMART configuration could not be fetched or is unusable
  unreachable,       // no HTTP answer from the token endpoint (connect, TLS, timeout, ...)
  client_rejected,   // invalid_client (or 401): the key, client id or key id is not the registered one
  request_rejected,  // invalid_scope, unauthorized_client, invalid_grant, invalid_request, other 4xx
  server_error,      // 5xx, 408 or 429 from the token endpoint
  invalid_response,  // a 200 whose body is no usable token response
};

// The enumerator's name ("client_rejected"), for logs and tests.
const char* to_string(TokenErrorKind kind);

// What the token endpoint says it granted. OAuth 2.0 (RFC 6749 section 5.1), which SMART
// Backend Services follows, lets the answer leave `scope` out when the scopes granted are
// the ones requested, and requires it when they differ.
enum class GrantedScopesState {
  as_requested,  // the answer has no scope (or null): granted as requested
  listed,        // `scopes` holds the scopes the answer names; none when it is empty
  unreadable,    // scope is there but not a string, longer than 4 KiB, or holds characters no scope has
};

struct GrantedScopes {
  GrantedScopesState state = GrantedScopesState::as_requested;
  std::vector<std::string> scopes;  // when listed, in the answer's order
};

struct TokenResult {
  bool ok = false;
  // "Bearer <access token>", the Authorization header's value, when ok. A credential:
  // never log it.
  std::string authorization_header_value;
  // When ok: what the token endpoint granted with this token (not a credential).
  GrantedScopes granted_scopes;
  TokenErrorKind kind = TokenErrorKind::none;
  std::string error;  // when not ok: what failed and the likely cause, for clinic IT
  // When not ok: trying again will fail the same way until someone fixes a setting or
  // the registration at the EHR (invalid_client, invalid_scope, an unusable SMART
  // configuration). Otherwise a retry with backoff may succeed.
  bool permanent = false;
};

class TokenSource;

// What create() produced: a token source, or (source null) why not, for clinic IT.
struct TokenSourceCreation {
  std::unique_ptr<TokenSource> source;
  std::string error;
};

// One per FHIR server and scope set.
//
// Tokens: cached and handed out while more than a margin of their lifetime remains:
// 60 s, or a fifth of the lifetime for tokens that live less than five minutes
// (expires_in, 300 s when the server leaves it out, at most an hour; counted from when
// the request went out). Each new token gets a new assertion (new jti). Callers that
// ask while a token is being fetched wait for that one request. When a renewal fails
// for a reason that is not permanent, the old token is handed out while it still has
// 5 s to live.
//
// Threading: get() and invalidate() may be called from any thread; they post to the
// io_context, which one thread runs. Callbacks run on that thread, must not throw (an
// exception is dropped) and may call get(), invalidate() or destroy the TokenSource.
// Destroy it on that thread or after the io_context has stopped: callbacks that have
// not run by then never run.
class TokenSource {
 public:
  using Callback = std::function<void(TokenResult)>;

  // `io_context`: the worker's type-erased boost::asio::io_context
  // (Worker::io_context_handle()); it must outlive the TokenSource.
  // `fhir_client_settings`: those of the FHIR server's HTTPS client. Discovery uses them
  // as they are; the token endpoint gets its own client with the same CA, client
  // certificate, proxy, timeouts and limits, and base_url = the token endpoint.
  // Loads the key and checks the settings now, so that mistakes show at startup.
  static TokenSourceCreation create(void* io_context, const HttpsClientSettings& fhir_client_settings,
                                    const SmartSettings& settings);

  ~TokenSource();
  TokenSource(const TokenSource&) = delete;
  TokenSource& operator=(const TokenSource&) = delete;

  // `callback` runs exactly once with a token or an error (unless the TokenSource is
  // destroyed first).
  void get(Callback callback);

  // The FHIR server answered 401 to the cached token: forget it, so that the next get()
  // fetches a new one. A fetch already under way is not affected (its token is newer).
  void invalidate();

  // RS384 or ES384, from the key; nullopt with a client secret.
  std::optional<SigningAlgorithm> algorithm() const;

 private:
  struct Core;
  explicit TokenSource(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace alliance::fhir::auth
