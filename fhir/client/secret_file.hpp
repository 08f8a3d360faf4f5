// Reading a secret file: the store's key, the mutual-TLS client key, the proxy's
// password, the SMART signing key. Every one goes through read_secret_file(), which
// refuses a file that someone else could read or swap:
//
//   - opened once, with O_NOFOLLOW: a symbolic link as the last part of the path is
//     refused, so whoever may change the link cannot point the plugin at another file;
//   - checked on the open descriptor (fstat), so the file checked is the file read;
//   - a regular file, owned by the account the process runs as (or by root), with no
//     access for group or others (mode 600 or 400);
//   - read up to a bound that suits the secret.
//
// It lives with the HTTPS client because that is the lowest library that reads a
// secret, and every other reader (the SMART client, the plugin) links it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace alliance {

// The file's bytes, or why not. The bytes are wiped from memory when it goes.
struct SecretFile {
  SecretFile() = default;
  ~SecretFile();
  SecretFile(SecretFile&& other) noexcept;
  SecretFile& operator=(SecretFile&& other) noexcept;
  SecretFile(const SecretFile&) = delete;
  SecretFile& operator=(const SecretFile&) = delete;

  std::string content;  // empty on failure
  // Empty on success; otherwise one sentence for IT that starts with the setting's name
  // and the path and says what to do (chmod 600, chown, point at the real file).
  std::string error;
};

// `setting` names the configuration key the path came from ("store.key_file"), for
// the message. A file larger than `limit_bytes` is refused.
SecretFile read_secret_file(const std::string& path, std::string_view setting, std::size_t limit_bytes);

}  // namespace alliance
