#include "mapping/uuid.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace alliance {

namespace {

using UuidBytes = std::array<unsigned char, 16>;

std::string format_uuid(const UuidBytes& bytes) {
  char text[40];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text;
}

void set_version(UuidBytes& bytes, unsigned char version) {
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | (version << 4));
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
}

bool parse_uuid(std::string_view text, UuidBytes& bytes) {
  if (text.size() != 36) return false;
  size_t byte = 0;
  for (size_t at = 0; at < text.size();) {
    if (at == 8 || at == 13 || at == 18 || at == 23) {
      if (text[at] != '-') return false;
      ++at;
      continue;
    }
    if (!std::isxdigit(static_cast<unsigned char>(text[at])) || !std::isxdigit(static_cast<unsigned char>(text[at + 1]))) {
      return false;
    }
    bytes[byte++] = static_cast<unsigned char>(std::stoi(std::string(text.substr(at, 2)), nullptr, 16));
    at += 2;
  }
  return byte == bytes.size();
}

}  // namespace

std::string new_uuid() {
  UuidBytes bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("no random bytes");
  set_version(bytes, 4);
  return format_uuid(bytes);
}

std::string name_based_uuid(std::string_view namespace_uuid, std::string_view name) {
  UuidBytes namespace_bytes{};
  if (!parse_uuid(namespace_uuid, namespace_bytes)) return {};
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool hashed = context != nullptr && EVP_DigestInit_ex(context, EVP_sha1(), nullptr) == 1 &&
                      EVP_DigestUpdate(context, namespace_bytes.data(), namespace_bytes.size()) == 1 &&
                      EVP_DigestUpdate(context, name.data(), name.size()) == 1 &&
                      EVP_DigestFinal_ex(context, digest.data(), &digest_length) == 1;
  EVP_MD_CTX_free(context);
  if (!hashed || digest_length < 16) throw std::runtime_error("SHA-1 is not available");
  UuidBytes bytes{};
  std::copy_n(digest.begin(), bytes.size(), bytes.begin());
  set_version(bytes, 5);
  return format_uuid(bytes);
}

}  // namespace alliance
