#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "store/outbox_keys.hpp"
#include "test_support.hpp"

using alliance::OutboxKeys;
using alliance::testing::TemporaryFolder;
using alliance::testing::write_file;
using alliance::testing::write_key_file;

TEST_SUITE("outbox_keys") {
  TEST_CASE("a sealed value opens only with its key in its table column and row") {
    TemporaryFolder folder;
    const OutboxKeys keys = OutboxKeys::load(write_key_file(folder.path()));
    const OutboxKeys::SealedField payload{"outbox", "payload", "row-1"};
    const std::string sealed = keys.seal("ORS 17.7 for Patient/pat-alex", payload);
    CHECK(sealed.find("pat-alex") == std::string::npos);
    CHECK(keys.open(sealed, payload, keys.current_key_id()) == "ORS 17.7 for Patient/pat-alex");
    CHECK_FALSE(keys.open(sealed, {"outbox", "payload", "row-2"}, keys.current_key_id()));     // another row
    CHECK_FALSE(keys.open(sealed, {"outbox", "last_error", "row-1"}, keys.current_key_id()));  // another column
    CHECK_FALSE(keys.open(sealed, {"trend", "payload", "row-1"}, keys.current_key_id()));      // another table
    CHECK_FALSE(keys.open(sealed, {"outbox", "payloadrow-1", ""}, keys.current_key_id()));     // no run-together
    CHECK_FALSE(keys.open_release_0_1(sealed, "row-1", keys.current_key_id()));  // not the old form
    std::string altered = sealed;
    altered[20] = static_cast<char>(altered[20] ^ 1);
    CHECK_FALSE(keys.open(altered, payload, keys.current_key_id()));
    CHECK_FALSE(keys.open(sealed, payload, "0000000000000000"));
    CHECK(keys.seal("same", payload) != keys.seal("same", payload));  // a fresh nonce each time
  }

  TEST_CASE("a value sealed as release 0.1 sealed it opens the old way only") {
    TemporaryFolder folder;
    const auto key_file = write_key_file(folder.path());
    const OutboxKeys keys = OutboxKeys::load(key_file);
    const std::string sealed = alliance::testing::seal_as_release_0_1(key_file, "HTTP 503: busy", "row-1");
    CHECK(keys.open_release_0_1(sealed, "row-1", keys.current_key_id()) == "HTTP 503: busy");
    CHECK_FALSE(keys.open_release_0_1(sealed, "row-2", keys.current_key_id()));
    CHECK_FALSE(keys.open(sealed, {"outbox", "last_error", "row-1"}, keys.current_key_id()));
  }

  TEST_CASE("lookups are stable per key and differ between keys") {
    TemporaryFolder folder;
    const OutboxKeys first = OutboxKeys::load(write_key_file(folder.path(), "a.key"));
    const OutboxKeys second = OutboxKeys::load(write_key_file(folder.path(), "b.key"));
    CHECK(first.lookup("Patient/1") == first.lookup("Patient/1"));
    CHECK(first.lookup("Patient/1") != first.lookup("Patient/2"));
    CHECK(first.lookup("Patient/1") != second.lookup("Patient/1"));
    CHECK(first.current_key_id() != second.current_key_id());
  }

  TEST_CASE("a key file readable by others or malformed is refused naming the file") {
    TemporaryFolder folder;
    const auto open_key = write_key_file(folder.path(), "open.key");
    ::chmod(open_key.c_str(), 0644);
    CHECK_THROWS_WITH(OutboxKeys::load(open_key), doctest::Contains("readable by others"));
    ::chmod(open_key.c_str(), 0640);
    CHECK_THROWS_WITH(OutboxKeys::load(open_key), doctest::Contains("open.key"));

    const auto short_key = folder.path() / "short.key";
    write_file(short_key, "c2hvcnQ=\n");
    ::chmod(short_key.c_str(), 0600);
    CHECK_THROWS_WITH(OutboxKeys::load(short_key), doctest::Contains("openssl rand -base64 32"));
    CHECK_THROWS_WITH(OutboxKeys::load(folder.path() / "missing.key"), doctest::Contains("missing.key"));
  }

  TEST_CASE("a key file reached through a symbolic link or owned by another account is refused") {
    TemporaryFolder folder;
    const auto key = write_key_file(folder.path(), "real.key");
    const auto link = folder.path() / "link.key";
    std::filesystem::create_symlink(key, link);
    CHECK_THROWS_WITH(OutboxKeys::load(link), doctest::Contains("symbolic link"));
    CHECK_THROWS_WITH(OutboxKeys::load(key, {link}), doctest::Contains("store.retired_key_files"));
    CHECK_NOTHROW(OutboxKeys::load(key));
    if (::geteuid() == 0) {  // only root can give a file away
      REQUIRE(::chown(key.c_str(), 65534, 65534) == 0);
      CHECK_THROWS_WITH(OutboxKeys::load(key), doctest::Contains("chown"));
    }
  }
}
