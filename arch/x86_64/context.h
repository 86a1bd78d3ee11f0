// Cooperative context switching (context_switch.S) and the initial stack of a new thread.
#pragma once
#include <cstdint>
#include "cpu.h"

extern "C" void arch_switch_context(uint64_t* save_rsp, uint64_t load_rsp);
extern "C" void arch_thread_start();

namespace arch {

// Lays out a fresh stack so that the first arch_switch_context onto it "returns" into
// arch_thread_start with the ABI's alignment. Returns the rsp to load.
inline uint64_t initial_thread_stack(uint64_t stack_top) {
  auto* sp = reinterpret_cast<uint64_t*>(stack_top & ~uint64_t(15));
  // ret target; after the ret rsp is 16-aligned, so arch_thread_start's call is ABI-aligned
  *--sp = reinterpret_cast<uint64_t>(arch_thread_start);
  for (int i = 0; i < 6; ++i) *--sp = 0;    // rbp rbx r12 r13 r14 r15
  *--sp = uint64_t(0x037f) << 32 | 0x1f80;  // x87 control word, MXCSR defaults
  return reinterpret_cast<uint64_t>(sp);
}

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
