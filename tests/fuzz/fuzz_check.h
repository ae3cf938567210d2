// What every fuzz target uses to state a property: FUZZ_CHECK(condition,
// explanation) aborts with the explanation when the property fails, so
// libFuzzer saves the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(condition, explanation)                                                         \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "%s:%d: property failed: %s: %s\n", __FILE__, __LINE__, #condition,    \
                   std::string(explanation).c_str());                                              \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)
