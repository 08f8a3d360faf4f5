#include "auth/jwt_assertion.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "auth/base64url.hpp"
#include "client/secret_file.hpp"

namespace alliance::fhir::auth {

namespace {

constexpr std::size_t key_file_limit_bytes = 64 * 1024;
constexpr int minimum_rsa_bits = 2048;
constexpr std::size_t p384_coordinate_bytes = 48;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using UniquePkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

struct EcdsaSignatureDeleter {
  void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};

// OpenSSL keeps failures in a per-thread queue; ours must not show up in a later,
// unrelated report (the TLS code reads the same queue).
void forget_openssl_errors() { ERR_clear_error(); }

// Called by OpenSSL when the PEM is encrypted. A plugin has nobody to ask, so it
// answers "no passphrase" and notes that one was wanted.
int refuse_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

bool looks_encrypted(std::string_view pem) {
  return pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
         pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
}

std::string curve_name(EVP_PKEY* key) {
  std::array<char, 80> name{};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(), &length) != 1) {
    return {};
  }
  return std::string(name.data(), length);
}

// The P-384 signature as JWS writes it: R and S, each left-padded to 48 bytes.
std::optional<std::string> der_to_raw_p384(const unsigned char* der, std::size_t length) {
  const unsigned char* cursor = der;
  std::unique_ptr<ECDSA_SIG, EcdsaSignatureDeleter> signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(length)));
  if (!signature) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  std::string raw(2 * p384_coordinate_bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, static_cast<int>(p384_coordinate_bytes)) < 0 ||
      BN_bn2binpad(s, out + p384_coordinate_bytes, static_cast<int>(p384_coordinate_bytes)) < 0) {
    return std::nullopt;
  }
  return raw;
}

std::string random_hex(std::size_t byte_count, bool& ok) {
  std::vector<unsigned char> bytes(byte_count);
  ok = RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1;
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string text;
  for (unsigned char byte : bytes) {
    text += digits[byte >> 4];
    text += digits[byte & 0x0f];
  }
  return text;
}

}  // namespace

const char* to_string(SigningAlgorithm algorithm) {
  return algorithm == SigningAlgorithm::rs384 ? "RS384" : "ES384";
}

struct SigningKey::Implementation {
  UniquePkey key;
  SigningAlgorithm algorithm = SigningAlgorithm::rs384;
};

SigningKey::SigningKey(std::unique_ptr<Implementation> implementation) : implementation_(std::move(implementation)) {}

SigningKey::~SigningKey() = default;

SigningAlgorithm SigningKey::algorithm() const { return implementation_->algorithm; }

SigningKeyLoad SigningKey::load_pem_file(const std::string& path) {
  SigningKeyLoad load;
  const std::string named = "the private key file " + path;
  if (path.empty()) {
    load.error = "no private key file is configured (private_key_file)";
    return load;
  }

  // Opened once without following a link, and checked through the descriptor
  // (owner, mode, size), as every secret file is (secret_file.hpp).
  const SecretFile text = read_secret_file(path, "private_key_file", key_file_limit_bytes);
  if (!text.error.empty()) {
    load.error = text.error;
    return load;
  }
  const std::string_view pem(text.content);
  const std::string encrypted_message =
      named + " holds an encrypted key; the plugin cannot ask for a passphrase. Store it unencrypted, readable "
              "only by the plugin's user (openssl pkey -in encrypted.pem -out key.pem; chmod 600 key.pem)";
  if (looks_encrypted(pem)) {
    load.error = encrypted_message;
    return load;
  }

  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    load.error = "out of memory while reading " + named;
    return load;
  }
  bool passphrase_asked = false;
  UniquePkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, &passphrase_asked));
  forget_openssl_errors();
  if (passphrase_asked) {
    load.error = encrypted_message;
    return load;
  }
  if (!key) {
    load.error = named + " holds no PEM private key that OpenSSL can read (expected -----BEGIN PRIVATE KEY-----)";
    return load;
  }

  auto implementation = std::make_unique<Implementation>();
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    const int bits = EVP_PKEY_get_bits(key.get());
    if (bits < minimum_rsa_bits) {
      load.error = named + " holds an RSA key of " + std::to_string(bits) +
                   " bits; RS384 client assertions need at least 2048 bits";
      return load;
    }
    implementation->algorithm = SigningAlgorithm::rs384;
  } else if (EVP_PKEY_is_a(key.get(), "EC")) {
    const std::string curve = curve_name(key.get());
    forget_openssl_errors();
    if (curve != "secp384r1" && curve != "P-384") {
      load.error = named + " holds an EC key on the curve " + (curve.empty() ? std::string("(unknown)") : curve) +
                   "; ES384 client assertions need P-384 (secp384r1)";
      return load;
    }
    implementation->algorithm = SigningAlgorithm::es384;
  } else {
    const char* type = EVP_PKEY_get0_type_name(key.get());
    load.error = named + " holds a key of type " + (type != nullptr ? type : "(unknown)") +
                 "; SMART Backend Services needs an RSA key (RS384, at least 2048 bits) or an EC P-384 key (ES384)";
    return load;
  }
  implementation->key = std::move(key);
  load.key.reset(new SigningKey(std::move(implementation)));
  return load;
}

std::optional<std::string> SigningKey::sign(std::string_view signing_input, std::string& error) const {
  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;  // owned by `context`
  const auto fail = [&error](const char* step) {
    forget_openssl_errors();
    error = std::string("OpenSSL could not sign the client assertion (") + step + ")";
    return std::nullopt;
  };
  if (!context || EVP_DigestSignInit(context.get(), &key_context, EVP_sha384(), nullptr, implementation_->key.get()) != 1) {
    return fail("init");
  }
  if (implementation_->algorithm == SigningAlgorithm::rs384 &&
      EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1) {
    return fail("padding");
  }
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  std::size_t length = 0;
  if (EVP_DigestSign(context.get(), nullptr, &length, input, signing_input.size()) != 1) return fail("size");
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, input,
                     signing_input.size()) != 1) {
    return fail("sign");
  }
  signature.resize(length);
  if (implementation_->algorithm == SigningAlgorithm::rs384) return signature;

  auto raw = der_to_raw_p384(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
  if (!raw) return fail("ECDSA signature format");
  return raw;
}

namespace {

// A big-number parameter of the key as big-endian bytes, left-padded to `width` (0: as
// short as the number).
std::optional<std::string> key_number(EVP_PKEY* key, const char* name, int width) {
  BIGNUM* number = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &number) != 1) return std::nullopt;
  const int length = width > 0 ? width : BN_num_bytes(number);
  std::string bytes(static_cast<std::size_t>(length), '\0');
  const int written = BN_bn2binpad(number, reinterpret_cast<unsigned char*>(bytes.data()), length);
  BN_free(number);
  if (written != length) return std::nullopt;
  return bytes;
}

}  // namespace

std::optional<std::string> SigningKey::public_jwk(std::string_view key_id, std::string& error) const {
  EVP_PKEY* key = implementation_->key.get();
  nlohmann::ordered_json jwk;
  if (implementation_->algorithm == SigningAlgorithm::rs384) {
    const auto modulus = key_number(key, OSSL_PKEY_PARAM_RSA_N, 0);
    const auto exponent = key_number(key, OSSL_PKEY_PARAM_RSA_E, 0);
    if (!modulus || !exponent) {
      forget_openssl_errors();
      error = "the RSA key's public numbers could not be read";
      return std::nullopt;
    }
    jwk["kty"] = "RSA";
    jwk["n"] = base64url_encode(*modulus);
    jwk["e"] = base64url_encode(*exponent);
  } else {
    constexpr int p384_bytes = 48;
    const auto x = key_number(key, OSSL_PKEY_PARAM_EC_PUB_X, p384_bytes);
    const auto y = key_number(key, OSSL_PKEY_PARAM_EC_PUB_Y, p384_bytes);
    if (!x || !y) {
      forget_openssl_errors();
      error = "the EC key's public point could not be read";
      return std::nullopt;
    }
    jwk["kty"] = "EC";
    jwk["crv"] = "P-384";
    jwk["x"] = base64url_encode(*x);
    jwk["y"] = base64url_encode(*y);
  }
  jwk["kid"] = std::string(key_id);
  jwk["alg"] = to_string(implementation_->algorithm);
  jwk["use"] = "sig";
  return jwk.dump();
}

ClientAssertion make_client_assertion(const SigningKey& key, const ClientAssertionClaims& claims,
                                      const SystemClock& clock) {
  ClientAssertion assertion;
  const auto now = clock ? clock() : std::chrono::system_clock::now();
  const auto issued_at = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto expires_at = issued_at + client_assertion_lifetime.count();

  bool random_ok = false;
  const std::string jti = random_hex(16, random_ok);
  if (!random_ok) {
    forget_openssl_errors();
    assertion.error = "OpenSSL's random number generator failed; no client assertion was made";
    return assertion;
  }

  std::string signing_input;
  try {
    const nlohmann::json header = {{"alg", to_string(key.algorithm())}, {"kid", claims.key_id}, {"typ", "JWT"}};
    const nlohmann::json payload = {{"iss", claims.client_id}, {"sub", claims.client_id},
                                    {"aud", claims.token_endpoint}, {"exp", expires_at},
                                    {"iat", issued_at},          {"jti", jti}};
    signing_input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  } catch (const nlohmann::json::exception&) {
    assertion.error = "the client id, key id or token endpoint is not valid UTF-8 text";
    return assertion;
  }

  std::string error;
  const std::optional<std::string> signature = key.sign(signing_input, error);
  if (!signature) {
    assertion.error = error;
    return assertion;
  }
  assertion.jwt = signing_input + "." + base64url_encode(*signature);
  return assertion;
}

}  // namespace alliance::fhir::auth
