#include "store/outbox_keys.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "client/secret_file.hpp"

namespace alliance {

namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kKeyFileLimitBytes = 1024;  // 44 characters of base64 and a line break
constexpr size_t kTagBytes = 16;

std::string hex(const unsigned char* bytes, size_t count) {
  static const char digits[] = "0123456789abcdef";
  std::string text;
  for (size_t index = 0; index < count; ++index) {
    text += digits[bytes[index] >> 4];
    text += digits[bytes[index] & 0x0f];
  }
  return text;
}

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;

std::array<unsigned char, 32> hmac_sha256(const unsigned char* key, size_t key_length, std::string_view text) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key, static_cast<int>(key_length), reinterpret_cast<const unsigned char*>(text.data()),
           text.size(), digest.data(), &length) == nullptr ||
      length != digest.size()) {
    throw std::runtime_error("HMAC-SHA-256 is not available");
  }
  return digest;
}

}  // namespace

OutboxKeys::Key OutboxKeys::read_key_file(const std::filesystem::path& file, std::string_view setting) {
  // Opened once without following a link, checked on the descriptor (owner, mode),
  // read bounded: secret_file.hpp.
  const SecretFile secret = read_secret_file(file.string(), setting, kKeyFileLimitBytes);
  if (!secret.error.empty()) throw std::runtime_error(secret.error);
  std::string_view text = secret.content;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  Key key;
  unsigned char decoded[64] = {};
  const int length = text.size() == 44 ? EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(text.data()),
                                                         static_cast<int>(text.size()))
                                       : -1;
  // 44 base64 characters decode to 33 bytes, the last being padding.
  if (length != 33 || text[43] != '=') {
    OPENSSL_cleanse(decoded, sizeof decoded);
    throw std::runtime_error(std::string(setting) + " " + file.string() + ": a key file holds 32 random bytes in " +
                             "base64 (openssl rand -base64 32 > FILE; chmod 600 FILE)");
  }
  std::memcpy(key.data.data(), decoded, key.data.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  EVP_Digest(key.data.data(), key.data.size(), digest, &digest_length, EVP_sha256(), nullptr);
  key.id = hex(digest, 8);
  key.lookup = hmac_sha256(key.data.data(), key.data.size(), "alliance outbox lookup key");
  OPENSSL_cleanse(decoded, sizeof decoded);
  return key;
}

OutboxKeys OutboxKeys::load(const std::filesystem::path& current_key_file,
                            const std::vector<std::filesystem::path>& retired_key_files) {
  OutboxKeys keys;
  keys.keys_.push_back(read_key_file(current_key_file, "store.key_file"));
  for (const auto& file : retired_key_files) keys.keys_.push_back(read_key_file(file, "store.retired_key_files"));
  return keys;
}

std::string OutboxKeys::authenticated_data(const SealedField& field, std::string_view key_id) {
  // Each part with its length in front, so that no two fields share a text.
  std::string data = "alliance sealed value 2";
  for (const std::string_view part : {field.table, field.column, field.row, key_id}) {
    const auto length = static_cast<std::uint32_t>(part.size());
    for (int shift = 24; shift >= 0; shift -= 8) data += static_cast<char>((length >> shift) & 0xFF);
    data.append(part);
  }
  return data;
}

const OutboxKeys::Key* OutboxKeys::key_with_id(const std::string& key_id) const {
  for (const Key& candidate : keys_) {
    if (candidate.id == key_id) return &candidate;
  }
  return nullptr;
}

std::string OutboxKeys::seal(std::string_view plaintext, const SealedField& field) const {
  const Key& key = keys_.front();
  return seal_with(key, plaintext, authenticated_data(field, key.id));
}

std::optional<std::string> OutboxKeys::open(std::string_view sealed, const SealedField& field,
                                            const std::string& key_id) const {
  const Key* key = key_with_id(key_id);
  if (key == nullptr) return std::nullopt;
  return open_with(*key, sealed, authenticated_data(field, key->id));
}

std::optional<std::string> OutboxKeys::open_release_0_1(std::string_view sealed, std::string_view row,
                                                        const std::string& key_id) const {
  const Key* key = key_with_id(key_id);
  if (key == nullptr) return std::nullopt;
  return open_with(*key, sealed, row);
}

std::string OutboxKeys::seal_with(const Key& key, std::string_view plaintext, std::string_view authenticated) {
  std::string sealed(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  if (RAND_bytes(out, kNonceBytes) != 1) throw std::runtime_error("no random bytes for a nonce");
  CipherContext context_handle(EVP_CIPHER_CTX_new());
  int length = 0;
  bool ok = context_handle && EVP_EncryptInit_ex(context_handle.get(), EVP_aes_256_gcm(), nullptr, key.data.data(), out) == 1 &&
            EVP_EncryptUpdate(context_handle.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(authenticated.data()),
                              static_cast<int>(authenticated.size())) == 1 &&
            EVP_EncryptUpdate(context_handle.get(), out + kNonceBytes, &length,
                              reinterpret_cast<const unsigned char*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(context_handle.get(), out + kNonceBytes + length, &length) == 1 &&
            EVP_CIPHER_CTX_ctrl(context_handle.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                out + kNonceBytes + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  return sealed;
}

std::optional<std::string> OutboxKeys::open_with(const Key& key, std::string_view sealed, std::string_view authenticated) {
  if (sealed.size() < kNonceBytes + kTagBytes) return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  const size_t text_length = sealed.size() - kNonceBytes - kTagBytes;
  std::string plaintext(text_length, '\0');
  std::array<unsigned char, kTagBytes> tag{};
  std::memcpy(tag.data(), in + kNonceBytes + text_length, kTagBytes);
  CipherContext context_handle(EVP_CIPHER_CTX_new());
  int length = 0;
  const bool ok =
      context_handle && EVP_DecryptInit_ex(context_handle.get(), EVP_aes_256_gcm(), nullptr, key.data.data(), in) == 1 &&
      EVP_DecryptUpdate(context_handle.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(authenticated.data()),
                        static_cast<int>(authenticated.size())) == 1 &&
      EVP_DecryptUpdate(context_handle.get(), reinterpret_cast<unsigned char*>(plaintext.data()), &length,
                        in + kNonceBytes, static_cast<int>(text_length)) == 1 &&
      EVP_CIPHER_CTX_ctrl(context_handle.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(context_handle.get(), reinterpret_cast<unsigned char*>(plaintext.data()) + length, &length) == 1;
  if (!ok) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return std::nullopt;
  }
  return plaintext;
}

std::string OutboxKeys::lookup_with(const Key& key, std::string_view text) {
  const auto digest = hmac_sha256(key.lookup.data(), key.lookup.size(), text);
  return hex(digest.data(), digest.size());
}

std::string OutboxKeys::lookup(std::string_view text) const { return lookup_with(keys_.front(), text); }

std::vector<std::string> OutboxKeys::lookups_under_every_key(std::string_view text) const {
  std::vector<std::string> lookups;
  for (const Key& key : keys_) lookups.push_back(lookup_with(key, text));
  return lookups;
}

}  // namespace alliance
