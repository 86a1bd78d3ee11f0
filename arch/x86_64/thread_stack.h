// Cooperative context switching (context_switch.S) and the initial stack of a new thread. Plain
// user-mode code: the host's scheduler tests switch stacks with it too.
#pragma once
#include <cstdint>

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

}  // namespace arch
