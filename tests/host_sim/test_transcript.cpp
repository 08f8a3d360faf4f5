// Transcript lines stay on one line and within bounds, without breaking characters.
#include "transcript.hpp"

#include <doctest/doctest.h>

TEST_SUITE("host_sim") {
  TEST_CASE("short text is kept with its line breaks turned into spaces") {
    CHECK(host_sim::abbreviate("a\nb\tc") == "a b c");
  }

  TEST_CASE("long text is cut at a character boundary and marked") {
    // "é" is two bytes; a cut after 3 bytes would split the second one.
    CHECK(host_sim::abbreviate("aéé", 4) == "aé…");
    CHECK(host_sim::abbreviate("abcdef", 3) == "abc…");
    CHECK(host_sim::abbreviate("abc", 3) == "abc");
  }
}
