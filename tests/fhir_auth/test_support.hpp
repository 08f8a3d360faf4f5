// Shared by the SMART Backend Services tests: where the fixtures put things, an
// io_context on its own thread (as the plugin's worker runs one), reading JWTs back,
// verifying their signatures with OpenSSL, and making keys of every kind.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "client/https_client.hpp"
#include "support/files.hpp"
#include "support/io_thread.hpp"
#include "support/temporary_folder.hpp"
#include "auth/token_source.hpp"

namespace alliance::fhir::auth::testing {

// ${ALLIANCE_TEST_KEYS}/<file>: rs384.key, es384.key, wrong-es384.key, *.pub.pem, jwks.json.
std::string key_path(const std::string& file_name);
// ${ALLIANCE_TEST_CERTIFICATES}/<file>.
std::string certificate_path(const std::string& file_name);

inline constexpr const char* client_id = ALLIANCE_SMART_CLIENT_ID;
inline constexpr int token_lifetime_seconds = ALLIANCE_SMART_TOKEN_LIFETIME;

using alliance::testing::read_file;  // support/files.hpp

using alliance::testing::IoThread;  // support/io_thread.hpp

// A folder under the system's temporary folder, removed with everything in it.
using alliance::testing::TemporaryFolder;  // support/temporary_folder.hpp

// A compact JWT taken apart (header and claims decoded, signature as raw bytes).
struct DecodedJwt {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signing_input;  // header.claims, as signed
  std::string signature;
};
std::optional<DecodedJwt> decode_jwt(const std::string& jwt);

// Verifies a JWS signature (RS384, or ES384 given as R||S) with the public key in `public_pem_file`.
bool verify_signature(const DecodedJwt& jwt, const std::string& public_pem_file);

// Writes a new private key as PEM, mode 600. `kind`: "RSA" with `rsa_bits`, "EC" with `curve`
// ("P-256", "P-384"), "ED25519". `passphrase` non-empty: encrypted PKCS#8 (AES-256-CBC).
void write_private_key(const std::string& path, const std::string& kind, unsigned rsa_bits = 2048,
                       const std::string& curve = "P-384", const std::string& passphrase = "");

// The port in a fixture's port file.
unsigned short read_port(const std::string& port_file);

// https://localhost:<port>/fhir/R4 of the fhir_server_smart fixture, trusting the test CA, 5 s timeouts.
HttpsClientSettings smart_server_settings();
HttpsClientSettings settings_for_port(unsigned short port, const std::string& path = "/fhir/R4");

// Settings for the registered client with the given key ("rs384", "es384", "wrong-es384").
SmartSettings smart_settings(const std::string& key);

// get() and wait for its callback (at most 15 s; a failed TokenResult if none came).
TokenResult get_token(TokenSource& source);

// How many tokens the fhir_server_smart fixture has issued (GET /auth/_issued_count).
int issued_count(void* io_context);

// Sends and waits (at most 15 s).
std::optional<HttpResult> send_and_wait(HttpsClient& client, HttpRequest request);

}  // namespace alliance::fhir::auth::testing
