// Raw hypercall trampolines: call slot `op` of the hypercall page with up to five arguments
// in the Xen x86_64 ABI registers (rdi, rsi, rdx, r10, r8). Typed wrappers live in kernel/xen.
#pragma once
#include <cstdint>

extern "C" char hypercall_page[4096];

namespace arch {

inline long hypercall(unsigned op, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
                      uint64_t a5 = 0) {
  long result;
  register uint64_t r10 asm("r10") = a4;
  register uint64_t r8 asm("r8") = a5;
  void* entry = hypercall_page + op * 32;
  asm volatile("call *%[entry]"
               : "=a"(result), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
               : [entry] "r"(entry)
               : "rcx", "r11", "memory");
  return result;
}

}  // namespace arch
