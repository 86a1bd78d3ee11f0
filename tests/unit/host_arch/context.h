// The host's stand-in for arch/x86_64/context.h, for the scheduler's unit tests: the interrupt
// flag is a variable, and waiting for an interrupt is a call into the test (its fake timer),
// since on the host nothing else could ever make a thread runnable.
#pragma once

namespace arch {

inline bool host_interrupts_enabled = true;
inline void (*host_wait_for_interrupt)() = nullptr;  // set by the test

inline bool interrupts_enabled() { return host_interrupts_enabled; }
inline void disable_interrupts() { host_interrupts_enabled = false; }
inline void enable_interrupts() { host_interrupts_enabled = true; }

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

// Called with interrupts off and nothing runnable; returns with them off.
inline void wait_for_interrupt() { host_wait_for_interrupt(); }

}  // namespace arch
