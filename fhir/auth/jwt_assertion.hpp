// Client assertions for SMART Backend Services: the signed JWT a backend presents to
// the EHR's token endpoint instead of a password (private_key_jwt, RFC 7523).
//
// The key is the backend's own private key; the EHR holds its public half (a JWKS,
// registered with the client id). RSA keys sign RS384 (RSASSA-PKCS1-v1_5 with
// SHA-384, at least 2048 bits), EC P-384 keys sign ES384 (ECDSA with SHA-384, the
// signature as the 96-byte R||S that JWS requires): the algorithm follows the key.
//
// Privacy: an assertion is a credential for the few minutes it lives, and the key one
// for years. Neither is ever logged or put into a message; error messages name the
// key file and what is wrong with it, never its content.
//
// Only std types here: OpenSSL stays inside the .cpp file.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace alliance::fhir::auth {

enum class SigningAlgorithm { rs384, es384 };

// The JWS name: "RS384" or "ES384".
const char* to_string(SigningAlgorithm algorithm);

class SigningKey;

// What load_pem_file() produced: a key, or (key null) why not, for clinic IT.
struct SigningKeyLoad {
  std::unique_ptr<SigningKey> key;
  std::string error;
};

// A private key to sign client assertions with. Immutable once loaded; sign() may be
// called from any thread.
class SigningKey {
 public:
  // Reads an unencrypted PEM private key (PKCS#8 "PRIVATE KEY", or the traditional
  // "RSA PRIVATE KEY" / "EC PRIVATE KEY"). Refused, with a message that names the file
  // and says what to do:
  //  - a file that group or others may access (mode & 077): the key would not be
  //    secret; chmod 600 it. Not a regular file, or larger than 64 KiB.
  //  - an encrypted key: there is nobody to type a passphrase into a plugin.
  //  - RSA below 2048 bits, EC on another curve than P-384, any other key type.
  static SigningKeyLoad load_pem_file(const std::string& path);

  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  SigningAlgorithm algorithm() const;

  // The JWS signature of `signing_input` (the bytes, not yet base64url-encoded):
  // PKCS#1 v1.5 for RS384, R||S (48 + 48 bytes) for ES384. Nothing, with `error` set,
  // when OpenSSL fails.
  std::optional<std::string> sign(std::string_view signing_input, std::string& error) const;

  // The public half as a JSON Web Key (RFC 7517, 7518), the text of one JSON object:
  // {"kty":"RSA","n","e"} or {"kty":"EC","crv":"P-384","x","y"} (coordinates padded
  // to 48 bytes), with "kid": key_id, "alg" (RS384 or ES384) and "use":"sig". What an
  // EHR that asks for the app's JWK Set at a URL reads the key from. Nothing, with
  // `error` set, when OpenSSL fails.
  std::optional<std::string> public_jwk(std::string_view key_id, std::string& error) const;

 private:
  struct Implementation;
  explicit SigningKey(std::unique_ptr<Implementation> implementation);
  std::unique_ptr<Implementation> implementation_;
};

// Wall-clock time for iat and exp; empty: std::chrono::system_clock::now. Tests fix it.
using SystemClock = std::function<std::chrono::system_clock::time_point()>;

// How long an assertion is valid: SMART allows at most five minutes; a minute less
// leaves room for a server clock that runs a little ahead of ours.
inline constexpr std::chrono::seconds client_assertion_lifetime{240};

struct ClientAssertionClaims {
  std::string client_id;       // iss and sub
  std::string token_endpoint;  // aud: the token endpoint's URL, exactly as the request goes to it
  std::string key_id;          // the JWS header's kid: which registered public key verifies it
};

struct ClientAssertion {
  std::string jwt;    // header.claims.signature; a credential: never log it
  std::string error;  // set when no assertion could be made

  bool ok() const { return error.empty(); }
};

// A fresh assertion: header {alg, kid, typ: "JWT"}, claims {iss, sub, aud, exp = now +
// client_assertion_lifetime, iat = now, jti = 128 random bits as 32 hex digits, new
// every time}. Times are whole seconds since the epoch.
ClientAssertion make_client_assertion(const SigningKey& key, const ClientAssertionClaims& claims,
                                      const SystemClock& clock = {});

}  // namespace alliance::fhir::auth
