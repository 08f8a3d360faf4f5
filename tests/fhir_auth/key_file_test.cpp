// Loading the private key: which files and keys are refused, and that the message
// names the file and the fix without showing the key.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "auth/jwt_assertion.hpp"
#include "test_support.hpp"
#include "support/text.hpp"

using namespace alliance::fhir::auth;
using namespace alliance::fhir::auth::testing;
using alliance::testing::contains;

namespace {


}  // namespace

TEST_SUITE("key_file") {
  TEST_CASE("a key file that group or others may read is refused naming the file") {
    TemporaryFolder folder;
    const std::string path = folder.file("shared.key");
    write_private_key(path, "EC", 0, "P-384");
    ::chmod(path.c_str(), 0644);
    const SigningKeyLoad load = SigningKey::load_pem_file(path);
    CHECK_FALSE(load.key);
    CHECK(contains(load.error, path));
    CHECK(contains(load.error, "0644"));
    CHECK(contains(load.error, "chmod 600"));
    CHECK_FALSE(contains(load.error, "BEGIN"));

    ::chmod(path.c_str(), 0640);
    CHECK_FALSE(SigningKey::load_pem_file(path).key);
    ::chmod(path.c_str(), 0600);
    CHECK(SigningKey::load_pem_file(path).key);
    ::chmod(path.c_str(), 0400);
    CHECK(SigningKey::load_pem_file(path).key);
  }

  TEST_CASE("a key file behind a symbolic link or owned by another account is refused") {
    TemporaryFolder folder;
    const std::string path = folder.file("real.key");
    write_private_key(path, "EC", 0, "P-384");
    ::chmod(path.c_str(), 0600);
    REQUIRE(SigningKey::load_pem_file(path).key);
    const std::string link = folder.file("link.key");
    std::filesystem::create_symlink(path, link);
    const SigningKeyLoad linked = SigningKey::load_pem_file(link);
    CHECK_FALSE(linked.key);
    CHECK(contains(linked.error, "symbolic link"));
    if (::geteuid() == 0) {  // only root can give a file away
      REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
      const SigningKeyLoad foreign = SigningKey::load_pem_file(path);
      CHECK_FALSE(foreign.key);
      CHECK(contains(foreign.error, "chown"));
    }
  }

  TEST_CASE("an encrypted key is refused without asking for a passphrase") {
    TemporaryFolder folder;
    const std::string path = folder.file("encrypted.key");
    write_private_key(path, "EC", 0, "P-384", "a passphrase");
    const SigningKeyLoad load = SigningKey::load_pem_file(path);
    CHECK_FALSE(load.key);
    CHECK(contains(load.error, path));
    CHECK(contains(load.error, "encrypted"));
  }

  TEST_CASE("an RSA key of 1024 bits is refused with the reason") {
    TemporaryFolder folder;
    const std::string path = folder.file("rsa1024.key");
    write_private_key(path, "RSA", 1024);
    const SigningKeyLoad load = SigningKey::load_pem_file(path);
    CHECK_FALSE(load.key);
    CHECK(contains(load.error, "1024 bits"));
    CHECK(contains(load.error, "at least 2048"));
  }

  TEST_CASE("an EC P-256 key is refused with the reason") {
    TemporaryFolder folder;
    const std::string path = folder.file("p256.key");
    write_private_key(path, "EC", 0, "P-256");
    const SigningKeyLoad load = SigningKey::load_pem_file(path);
    CHECK_FALSE(load.key);
    CHECK(contains(load.error, "prime256v1"));
    CHECK(contains(load.error, "P-384"));
  }

  TEST_CASE("an Ed25519 key is refused with the reason") {
    TemporaryFolder folder;
    const std::string path = folder.file("ed25519.key");
    write_private_key(path, "ED25519");
    const SigningKeyLoad load = SigningKey::load_pem_file(path);
    CHECK_FALSE(load.key);
    CHECK(contains(load.error, "ED25519"));
    CHECK(contains(load.error, "RSA"));
  }

  TEST_CASE("a missing file or one without a private key is refused naming the file") {
    TemporaryFolder folder;
    const SigningKeyLoad missing = SigningKey::load_pem_file(folder.file("missing.key"));
    CHECK_FALSE(missing.key);
    CHECK(contains(missing.error, folder.file("missing.key").string()));

    const std::string public_key = folder.file("public.pem");
    std::filesystem::copy_file(key_path("es384.pub.pem"), public_key);
    ::chmod(public_key.c_str(), 0600);
    const SigningKeyLoad load = SigningKey::load_pem_file(public_key);
    CHECK_FALSE(load.key);
    CHECK(contains(load.error, "no PEM private key"));

    CHECK_FALSE(SigningKey::load_pem_file(folder.path().string()).key);  // a folder
    CHECK(contains(SigningKey::load_pem_file("").error, "no private key file"));
  }

  TEST_CASE("the test keys load with the algorithm of their type") {
    CHECK(SigningKey::load_pem_file(key_path("rs384.key")).key->algorithm() == SigningAlgorithm::rs384);
    CHECK(SigningKey::load_pem_file(key_path("es384.key")).key->algorithm() == SigningAlgorithm::es384);
  }
}
