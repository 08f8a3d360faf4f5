#include "client/secret_file.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace alliance {

namespace {

class Descriptor {
 public:
  explicit Descriptor(int descriptor) : descriptor_(descriptor) {}
  ~Descriptor() {
    if (descriptor_ >= 0) ::close(descriptor_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return descriptor_; }

 private:
  int descriptor_;
};

std::string octal_mode(mode_t mode) {
  std::string text = "0000";
  for (int digit = 3; digit >= 1; --digit) {
    text[static_cast<std::size_t>(digit)] = static_cast<char>('0' + (mode & 07));
    mode >>= 3;
  }
  return text;
}

void wipe(std::string& text) {
  if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

}  // namespace

SecretFile::~SecretFile() { wipe(content); }

SecretFile::SecretFile(SecretFile&& other) noexcept
    : content(std::move(other.content)), error(std::move(other.error)) {}

SecretFile& SecretFile::operator=(SecretFile&& other) noexcept {
  if (this != &other) {
    wipe(content);
    content = std::move(other.content);
    error = std::move(other.error);
  }
  return *this;
}

SecretFile read_secret_file(const std::string& path, std::string_view setting, std::size_t limit_bytes) {
  SecretFile secret;
  const std::string named = std::string(setting) + " " + path;
  if (path.empty()) {
    secret.error = std::string(setting) + " is empty: name the file";
    return secret;
  }
  // O_NONBLOCK: a FIFO put in the file's place must not block the host's thread; the
  // descriptor is checked to be a regular file before anything is read.
  const Descriptor file(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (file.get() < 0) {
    const int failure = errno;
    if (failure == ELOOP) {
      secret.error = named + " is a symbolic link; a secret is read only from the file itself, so that whoever "
                             "may change the link cannot swap the secret: set " + std::string(setting) +
                     " to the real file's path";
    } else if (failure == ENOENT) {
      secret.error = named + " does not exist";
    } else if (failure == EACCES || failure == EPERM) {
      secret.error = named + " cannot be read by this account (uid " + std::to_string(::geteuid()) +
                     "): the account the host runs as must own it (chown it to that account, keep mode 600)";
    } else {
      secret.error = named + " cannot be opened: " + std::strerror(failure);
    }
    return secret;
  }
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) {
    secret.error = named + " cannot be examined: " + std::strerror(errno);
    return secret;
  }
  if (!S_ISREG(status.st_mode)) {
    secret.error = named + " is not a regular file";
    return secret;
  }
  const uid_t account = ::geteuid();
  if (status.st_uid != account && status.st_uid != 0) {
    secret.error = named + " belongs to uid " + std::to_string(status.st_uid) + ", not to this account (uid " +
                   std::to_string(account) + ") or root, so that account could change the secret: chown it to "
                   "the account the host runs as (or to root), keep mode 600";
    return secret;
  }
  if ((status.st_mode & 077) != 0) {
    secret.error = named + " is readable by others (group or world: mode " + octal_mode(status.st_mode & 07777) +
                   "), so it is no longer secret: chmod 600 " + path + ", and replace the secret if others may "
                   "have read it";
    return secret;
  }
  if (static_cast<unsigned long long>(status.st_size) > limit_bytes) {
    secret.error = named + " is larger than " + std::to_string(limit_bytes) + " bytes: it is not the file meant";
    return secret;
  }
  // One byte more than the limit, to see a file that grew since fstat.
  secret.content.resize(limit_bytes + 1);
  std::size_t filled = 0;
  while (filled < secret.content.size()) {
    const ssize_t count = ::read(file.get(), secret.content.data() + filled, secret.content.size() - filled);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      const int failure = errno;
      wipe(secret.content);
      secret.error = named + " cannot be read: " + std::strerror(failure);
      return secret;
    }
    if (count == 0) break;
    filled += static_cast<std::size_t>(count);
  }
  if (filled > limit_bytes) {
    wipe(secret.content);
    secret.error = named + " is larger than " + std::to_string(limit_bytes) + " bytes: it is not the file meant";
    return secret;
  }
  // Shrinking keeps the bytes in the same buffer (no copy left behind to wipe).
  secret.content.resize(filled);
  return secret;
}

}  // namespace alliance
