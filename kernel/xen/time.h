// Time on Xen: pvclock, wall clock, and the timer (VIRQ_TIMER + singleshot timer).
#pragma once
#include <cstdint>
#include "xenos/result.h"

namespace xen {
xenos::Result<void> time_init();  // after events_init

// How often a TSC read was behind vcpu_time_info's tsc_timestamp by more than a millisecond,
// and by how much at worst. The clock holds still then (it never runs backwards), so a guest
// whose timings read 0 us or whose waits stall can tell from the shutdown line whether its
// clock record was ahead of the CPU (seen under Xen in QEMU TCG, PVH). Zero on a sane host.
struct ClockBehind {
  uint64_t reads = 0;
  uint64_t worst_ns = 0;
  uint64_t worst_tsc = 0, worst_stamp = 0, worst_system_time = 0;  // that read's raw values
};
ClockBehind clock_behind();
}
