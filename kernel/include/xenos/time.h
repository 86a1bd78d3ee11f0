// Time: monotonic nanoseconds since boot (Xen pvclock) and sleeping.
#pragma once
#include <cstdint>

namespace xenos {

uint64_t monotonic_ns();           // 0 when there is no clock (bare QEMU without Xen)
uint64_t wall_clock_ns();          // nanoseconds since 1970 (Xen's wall clock)
void sleep_ns(uint64_t duration);  // the current thread sleeps; other threads run
inline void sleep_ms(uint64_t ms) { sleep_ns(ms * 1000000); }

}  // namespace xenos
