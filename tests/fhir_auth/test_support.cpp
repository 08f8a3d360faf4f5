#include "test_support.hpp"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "auth/base64url.hpp"

namespace alliance::fhir::auth::testing {

std::string key_path(const std::string& file_name) { return std::string(ALLIANCE_TEST_KEYS) + "/" + file_name; }

std::string certificate_path(const std::string& file_name) {
  return std::string(ALLIANCE_TEST_CERTIFICATES) + "/" + file_name;
}

std::optional<DecodedJwt> decode_jwt(const std::string& jwt) {
  const std::size_t first = jwt.find('.');
  const std::size_t second = first == std::string::npos ? std::string::npos : jwt.find('.', first + 1);
  if (second == std::string::npos || jwt.find('.', second + 1) != std::string::npos) return std::nullopt;
  const auto header = base64url_decode(std::string_view(jwt).substr(0, first));
  const auto claims = base64url_decode(std::string_view(jwt).substr(first + 1, second - first - 1));
  const auto signature = base64url_decode(std::string_view(jwt).substr(second + 1));
  if (!header || !claims || !signature) return std::nullopt;
  DecodedJwt decoded;
  decoded.header = nlohmann::json::parse(*header, nullptr, false);
  decoded.claims = nlohmann::json::parse(*claims, nullptr, false);
  if (decoded.header.is_discarded() || decoded.claims.is_discarded()) return std::nullopt;
  decoded.signing_input = jwt.substr(0, second);
  decoded.signature = *signature;
  return decoded;
}

namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

// JWS's R||S back into the DER form OpenSSL verifies.
std::optional<std::string> raw_to_der(const std::string& raw) {
  if (raw.size() != 96) return std::nullopt;
  ECDSA_SIG* signature = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, 48, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 48, 48, nullptr);
  ECDSA_SIG_set0(signature, r, s);
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(signature, &der);
  ECDSA_SIG_free(signature);
  if (length <= 0) return std::nullopt;
  std::string result(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return result;
}

}  // namespace

bool verify_signature(const DecodedJwt& jwt, const std::string& public_pem_file) {
  const std::string pem = read_file(public_pem_file);
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return false;
  std::string signature = jwt.signature;
  if (jwt.header.value("alg", "") == "ES384") {
    auto der = raw_to_der(signature);
    if (!der) return false;
    signature = *der;
  }
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_PKEY_CTX* key_context = nullptr;
  bool ok = EVP_DigestVerifyInit(context, &key_context, EVP_sha384(), nullptr, key.get()) == 1;
  if (ok && jwt.header.value("alg", "") == "RS384") ok = EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) == 1;
  ok = ok && EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                              reinterpret_cast<const unsigned char*>(jwt.signing_input.data()),
                              jwt.signing_input.size()) == 1;
  EVP_MD_CTX_free(context);
  return ok;
}

void write_private_key(const std::string& path, const std::string& kind, unsigned rsa_bits, const std::string& curve,
                       const std::string& passphrase) {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key;
  if (kind == "RSA") {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits)));
  } else if (kind == "EC") {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.c_str()));
  } else {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, kind.c_str()));
  }
  if (!key) throw std::runtime_error("OpenSSL could not make a " + kind + " key");
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  const int written = passphrase.empty()
                          ? PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)
                          : PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), passphrase.c_str(),
                                                          static_cast<int>(passphrase.size()), nullptr, nullptr);
  if (written != 1) throw std::runtime_error("OpenSSL could not write the key");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  {
    std::ofstream stream(path, std::ios::binary | std::ios::trunc);
    stream.write(data, length);
  }
  ::chmod(path.c_str(), 0600);
}

unsigned short read_port(const std::string& port_file) {
  const int port = std::stoi(read_file(port_file));
  if (port <= 0 || port > 65535) throw std::runtime_error("no port in " + port_file);
  return static_cast<unsigned short>(port);
}

HttpsClientSettings settings_for_port(unsigned short port, const std::string& path) {
  HttpsClientSettings settings;
  settings.base_url = "https://localhost:" + std::to_string(port) + path;
  settings.ca_file = certificate_path("ca.pem");
  const std::chrono::milliseconds five_seconds{5000};
  settings.timeouts = {five_seconds, five_seconds, five_seconds, five_seconds, five_seconds, std::chrono::seconds(30)};
  return settings;
}

HttpsClientSettings smart_server_settings() {
  return settings_for_port(read_port(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE));
}

SmartSettings smart_settings(const std::string& key) {
  SmartSettings settings;
  settings.client_id = client_id;
  settings.private_key_file = key_path(key + ".key");
  settings.key_id = key == "rs384" ? "alliance-rs384" : "alliance-es384";
  return settings;
}

TokenResult get_token(TokenSource& source) {
  auto promise = std::make_shared<std::promise<TokenResult>>();
  std::future<TokenResult> future = promise->get_future();
  source.get([promise](TokenResult result) { promise->set_value(std::move(result)); });
  if (future.wait_for(std::chrono::seconds(15)) != std::future_status::ready) {
    TokenResult none;
    none.error = "the test waited 15 s for the callback";
    return none;
  }
  return future.get();
}

std::optional<HttpResult> send_and_wait(HttpsClient& client, HttpRequest request) {
  auto promise = std::make_shared<std::promise<HttpResult>>();
  std::future<HttpResult> future = promise->get_future();
  client.send(std::move(request), [promise](HttpResult result) { promise->set_value(std::move(result)); });
  if (future.wait_for(std::chrono::seconds(15)) != std::future_status::ready) return std::nullopt;
  return future.get();
}

int issued_count(void* io_context) {
  HttpsClientCreation creation =
      HttpsClient::create(io_context, settings_for_port(read_port(ALLIANCE_FHIR_SERVER_SMART_PORT_FILE), "/auth"));
  if (!creation.client) throw std::runtime_error(creation.error);
  HttpRequest request;
  request.target = "_issued_count";
  request.extra_headers = {{"Accept", "application/json"}};
  const std::optional<HttpResult> result = send_and_wait(*creation.client, std::move(request));
  if (!result || !result->ok() || result->response.status != 200) throw std::runtime_error("GET /auth/_issued_count failed");
  return nlohmann::json::parse(result->response.body).at("issued").get<int>();
}

}  // namespace alliance::fhir::auth::testing
