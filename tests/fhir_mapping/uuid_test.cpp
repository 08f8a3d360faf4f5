#include <doctest/doctest.h>

#include <set>

#include "mapping/uuid.hpp"

TEST_SUITE("fhir_mapping") {
  TEST_CASE("name-based UUIDs match the RFC 4122 version 5 definition") {
    // The DNS namespace and "python.org": a widely published version 5 test vector.
    CHECK(alliance::name_based_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org") ==
          "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    CHECK(alliance::name_based_uuid("not-a-uuid", "x").empty());
  }

  TEST_CASE("random UUIDs are version 4 and do not repeat") {
    std::set<std::string> seen;
    for (int index = 0; index < 1000; ++index) {
      const std::string uuid = alliance::new_uuid();
      CHECK(uuid.size() == 36);
      CHECK(uuid[14] == '4');
      seen.insert(uuid);
    }
    CHECK(seen.size() == 1000);
  }
}
