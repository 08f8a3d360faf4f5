// The keys that protect PHI at rest in the store. A key file holds 32 random bytes in
// base64 (make one with `openssl rand -base64 32 > alliance.key; chmod 600 alliance.key`).
// The file is read as every secret file is (secret_file.hpp): no symbolic link, owned by
// the plugin's account or root, no access for group or others; the plugin refuses to
// start otherwise. A key's id (the first 8 bytes of its SHA-256) is derived from the key, and every row records the id
// of the key that sealed it, so a clinic can rotate keys: the new key seals new rows,
// retired keys still open old ones.
//
//   seal/open      AES-256-GCM with a fresh 96-bit nonce per value. The value's place
//                  (table, column, row id) and the sealing key's id are authenticated
//                  data, so a sealed value moved to another column or row, or given
//                  another key id, does not open. Release 0.1 authenticated the row id
//                  only: open_release_0_1() reads what it wrote (store.cpp says when).
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
  // reason that starts with the setting (store.key_file, store.retired_key_files) and
  // the file (missing, a symbolic link, readable by others, another account's, not 32
  // bytes of base64) and says what to do.
  static OutboxKeys load(const std::filesystem::path& current_key_file,
                         const std::vector<std::filesystem::path>& retired_key_files = {});

  const std::string& current_key_id() const { return keys_.front().id; }

  // Where a sealed value belongs; authenticated with it. The views are borrowed for
  // the call only.
  struct SealedField {
    std::string_view table;   // "outbox", "trend"
    std::string_view column;  // "payload", "last_error", "scores"
    std::string_view row;     // the row's administration id
  };

  // Seals `plaintext` for `field` with the current key (current_key_id() names it).
  std::string seal(std::string_view plaintext, const SealedField& field) const;
  // Opens a value sealed for `field` with key `key_id`; nothing if the key is unknown,
  // the value was altered, or it was sealed for another field or with another key id.
  std::optional<std::string> open(std::string_view sealed, const SealedField& field, const std::string& key_id) const;
  // Opens a value as release 0.1 sealed it: only the row id `row` authenticated.
  std::optional<std::string> open_release_0_1(std::string_view sealed, std::string_view row,
                                              const std::string& key_id) const;

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
  static Key read_key_file(const std::filesystem::path& file, std::string_view setting);
  static std::string lookup_with(const Key& key, std::string_view text);
  static std::string authenticated_data(const SealedField& field, std::string_view key_id);
  static std::string seal_with(const Key& key, std::string_view plaintext, std::string_view authenticated);
  static std::optional<std::string> open_with(const Key& key, std::string_view sealed, std::string_view authenticated);
  const Key* key_with_id(const std::string& key_id) const;
  std::vector<Key> keys_;  // current first
};

}  // namespace alliance
