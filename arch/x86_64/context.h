// The interrupt flag around the scheduler's queues, and waiting for the next interrupt.
#pragma once
#include <cstdint>
#include "cpu.h"

namespace arch {

// Disables interrupts (events, in PV) and restores the previous state on scope exit.
class InterruptGuard {
 public:
  InterruptGuard() : was_enabled_(interrupts_enabled()) { disable_interrupts(); }
  ~InterruptGuard() {
    if (was_enabled_) enable_interrupts();
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  bool was_enabled_;
};

// Waits for the next interrupt with interrupts enabled, and returns with them disabled again.
// `sti; hlt` is atomic (sti's one-instruction shadow), so an event that arrives after the
// caller's last check still wakes us; in a PVH guest Xen turns hlt into a block of the vCPU.
// PV: SCHEDOP_block unmasks events and sleeps in one step, for the same reason.
inline void wait_for_interrupt() {
  if (pv_vcpu_event_bytes) {
    pv_block();
    disable_interrupts();
  } else {
    asm volatile("sti; hlt; cli" ::: "memory");
  }
}

}  // namespace arch
