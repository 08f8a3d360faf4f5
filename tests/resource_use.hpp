// What one call costs: wall time and how much the process's peak memory grew. For
// tests that a hostile input is refused cheaply; the input is built before measuring.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdio>

namespace alliance::testing {

struct ResourceUse {
  double seconds = 0;
  long peak_growth_kib = 0;  // growth of the process's peak resident memory
};

inline long peak_resident_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

template <typename Call>
ResourceUse resource_use(const char* what, Call&& call) {
  const long peak_before = peak_resident_kib();
  const auto started = std::chrono::steady_clock::now();
  call();
  ResourceUse use;
  use.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  use.peak_growth_kib = peak_resident_kib() - peak_before;
  std::printf("resource use: %s: %.3f s, peak memory +%ld KiB\n", what, use.seconds, use.peak_growth_kib);
  return use;
}

}  // namespace alliance::testing
