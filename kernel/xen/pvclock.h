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
  // The difference is taken modulo 2^64, as Linux does: a PVH guest's TSC starts near 0 at
  // domain creation, and a record stamped before that has a "negative" tsc_timestamp
  // (0xffff_ffff_f99f_63a0 seen on Xen 4.17): tsc - tsc_timestamp is still the right delta. Only a
  // read genuinely behind the stamp (a TSC read racing Xen's update) has the top bit set; it
  // counts as no time passed.
  uint64_t delta = tsc - tsc_timestamp;
  if (int64_t(delta) < 0) delta = 0;
  return system_time + pvclock_scale(delta, mul_frac, shift);
}

}  // namespace xen
