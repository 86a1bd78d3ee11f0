// A POSIX absolute deadline (a timespec on CLOCK_REALTIME or CLOCK_MONOTONIC) as the kernel's
// monotonic nanoseconds, which its wait queues and timers take. Pure, so the host tests it.
#pragma once
#include <cerrno>
#include <cstdint>

namespace posix {

// `clock_now_ns` is the deadline's clock now, `monotonic_now_ns` the kernel's. A deadline in the
// past is now (the wait times out at once, as POSIX asks); tv_nsec outside [0, 1e9) is EINVAL.
inline int monotonic_deadline(int64_t tv_sec, long tv_nsec, uint64_t clock_now_ns, uint64_t monotonic_now_ns,
                              uint64_t* out) {
  if (tv_nsec < 0 || tv_nsec >= 1000000000) return EINVAL;
  if (tv_sec < 0) {
    *out = monotonic_now_ns;
    return 0;
  }
  constexpr uint64_t kMaxSeconds = UINT64_MAX / 1000000000ull - 1;
  if (uint64_t(tv_sec) > kMaxSeconds) {  // beyond ~584 years: as good as never
    *out = UINT64_MAX;
    return 0;
  }
  uint64_t target = uint64_t(tv_sec) * 1000000000ull + uint64_t(tv_nsec);
  if (target <= clock_now_ns) {
    *out = monotonic_now_ns;
    return 0;
  }
  uint64_t wait = target - clock_now_ns;
  *out = wait > UINT64_MAX - monotonic_now_ns ? UINT64_MAX : monotonic_now_ns + wait;
  return 0;
}

}  // namespace posix
