// A tiny in-guest test runner shared by the suite apps: one line per test ("ok N - name" or
// "not ok N - name: why"), and exactly "N passed, N failed" at the end, which the harness reads.
#pragma once
#include <cstdio>
#include <string>
#include <xenos/time.h>

namespace suite {

inline int passed = 0, failed = 0;
inline std::string failure;  // set by CHECK/CHECK_OK, reported by run()

inline void run(const char* name, void (*test)()) {
  failure.clear();
  uint64_t start = xenos::monotonic_ns();
  test();
  unsigned long long us = (xenos::monotonic_ns() - start) / 1000;
  if (failure.empty()) {
    ++passed;
    std::printf("ok %d - %s (%llu us)\n", passed + failed, name, us);
  } else {
    ++failed;
    std::printf("not ok %d - %s: %s\n", passed + failed, name, failure.c_str());
  }
}

// Prints the summary line and gives main's exit status.
inline int finish() {
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace suite

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      suite::failure = std::string(#cond) + " (line " + std::to_string(__LINE__) + ")"; \
      return;                                                                           \
    }                                                                                   \
  } while (0)

#define CHECK_OK(result)                                                                             \
  do {                                                                                               \
    auto&& _r = (result);                                                                            \
    if (!_r) {                                                                                       \
      suite::failure = std::string(#result) + ": " + _r.error().message + " (errno " +               \
                       std::to_string(_r.error().code) + ", line " + std::to_string(__LINE__) + ")"; \
      return;                                                                                        \
    }                                                                                                \
  } while (0)
