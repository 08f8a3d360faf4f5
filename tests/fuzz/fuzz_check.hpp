// A property a parser promises, checked on every fuzz input: a broken promise stops the
// fuzzer like a crash does, with the input saved, so "never mixed up" is fuzzed as well
// as "never crashes". Not assert(): the fuzz preset builds with NDEBUG.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                              \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (false)
