// The keys that protect PHI at rest in the store. A key file holds 32 random bytes in
// base64 (make one with `openssl rand -base64 32 > alliance.key; chmod 600 alliance.key`).
// The file must not be readable by anyone but its owner: the plugin refuses to start
// otherwise. A key's id is derived from the key itself, and every row records the id
// of the key that sealed it, so a clinic can rotate keys: the new key seals new rows,
// retired keys still open old ones.
//
//   seal/open      AES-256-GCM with a fresh 96-bit nonce per value; the row's own id is
//                  authenticated data, so a sealed value cannot be moved to another row
//   lookup         HMAC-SHA-256 under a key derived from the data key, so the store can
//                  find a client's rows without holding the client's identifier in clear
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alliance {

class OutboxKeys {
 public:
  // Loads the current key and any retired ones. Throws std::runtime_error with a
  // reason that names the file (missing, readable by others, not 32 bytes of base64).
  static OutboxKeys load(const std::filesystem::path& current_key_file,
                         const std::vector<std::filesystem::path>& retired_key_files = {});

  const std::string& current_key_id() const { return keys_.front().id; }

  // Seals `plaintext` with the current key; `context` (the row id) is authenticated.
  std::string seal(std::string_view plaintext, std::string_view context) const;
  // Opens a value sealed with key `key_id`; nothing if the key is unknown or the value
  // was altered.
  std::optional<std::string> open(std::string_view sealed, std::string_view context, const std::string& key_id) const;

  // The lookup value of `text` under the current key, and under every key (for
  // queries that must also find rows written before a rotation).
  std::string lookup(std::string_view text) const;
  std::vector<std::string> lookups_under_every_key(std::string_view text) const;

 private:
  struct Key {
    std::string id;                       // 16 hex digits of SHA-256(key)
    std::array<unsigned char, 32> data{};  // AES-256-GCM key
    std::array<unsigned char, 32> lookup{};  // HMAC key, derived from data
  };
  static Key read_key_file(const std::filesystem::path& file);
  static std::string lookup_with(const Key& key, std::string_view text);
  std::vector<Key> keys_;  // current first
};

}  // namespace alliance
