// Xen's pvclock arithmetic (pure; unit-tested on the host): system time from the TSC using
// vcpu_time_info's scale, ns = system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32.
#pragma once
#include <cstdint>

namespace xen {

inline uint64_t pvclock_scale(uint64_t delta, uint32_t mul_frac, int8_t shift) {
  if (shift < 0)
    delta >>= -shift;
  else
    delta <<= shift;
  return uint64_t((static_cast<unsigned __int128>(delta) * mul_frac) >> 32);
}

inline uint64_t pvclock_ns(uint64_t tsc, uint64_t tsc_timestamp, uint64_t system_time, uint32_t mul_frac,
                           int8_t shift) {
  // A TSC read just before Xen's update can be a hair behind tsc_timestamp: no wrap-around.
  uint64_t delta = tsc > tsc_timestamp ? tsc - tsc_timestamp : 0;
  return system_time + pvclock_scale(delta, mul_frac, shift);
}

}  // namespace xen
