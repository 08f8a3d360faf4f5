// parse_retry_after (plugin/delivery/delivery_policy.cpp): a FHIR server's Retry-After
// header, as seconds or as an HTTP date.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "delivery/delivery_policy.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string value(reinterpret_cast<const char*>(data), size);
  // A fixed "now" (2026-11-02T15:00:00Z), so that a crash reproduces on any day.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1793631600));
  const std::chrono::seconds wait = alliance::parse_retry_after(value, now);
  // Never negative, capped at a day.
  FUZZ_CHECK(wait.count() >= 0 && wait.count() <= 24 * 60 * 60);
  return 0;
}
