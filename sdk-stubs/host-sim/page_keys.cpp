#include "page_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>

namespace host_sim {
namespace {

constexpr std::size_t key_bytes = 32;

std::optional<std::string> random_key() {
  std::array<unsigned char, key_bytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
  static constexpr char hex[] = "0123456789abcdef";
  std::string key;
  key.reserve(2 * key_bytes);
  for (unsigned char byte : bytes) {
    key += hex[byte >> 4];
    key += hex[byte & 0x0f];
  }
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

}  // namespace

std::optional<PageKeys> PageKeys::generate(const ScenarioSession& session) {
  PageKeys keys;
  for (const ScenarioParticipant& participant : session.participants) {
    std::optional<std::string> key = random_key();
    if (!key) return std::nullopt;
    keys.keys_[participant.participant_id] = std::move(*key);
  }
  return keys;
}

const std::string& PageKeys::key_of(std::string_view participant_id) const {
  static const std::string none;
  auto found = keys_.find(participant_id);
  return found == keys_.end() ? none : found->second;
}

bool PageKeys::matches(std::string_view participant_id, std::string_view presented) const {
  const std::string& expected = key_of(participant_id);
  if (expected.empty() || presented.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

}  // namespace host_sim
