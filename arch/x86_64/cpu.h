// CPU helpers: port I/O, CPUID, MSRs, TSC, halting. Header-only; each is one instruction.
#pragma once
#include <cstdint>

namespace arch {

inline void outb(uint16_t port, uint8_t value) { asm volatile("outb %0, %1" ::"a"(value), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t value) { asm volatile("outl %0, %1" ::"a"(value), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

struct CpuidResult {
  uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  CpuidResult r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
  return r;
}

inline void wrmsr(uint32_t msr, uint64_t value) {
  asm volatile("wrmsr" ::"c"(msr), "a"(uint32_t(value)), "d"(uint32_t(value >> 32)));
}
inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t(hi) << 32) | lo;
}

inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}

inline uint64_t read_cr2() {
  uint64_t v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}
inline uint64_t read_cr3() {
  uint64_t v;
  asm volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}
inline void* frame_address() { return __builtin_frame_address(0); }

// A PV guest's kernel runs in ring 3 and may not touch IF: it masks events with the first two
// bytes of its vcpu_info (evtchn_upcall_pending, evtchn_upcall_mask). The PV boot points this
// at them; it stays null for PVH and bare QEMU, which use cli/sti.
extern volatile uint8_t* pv_vcpu_event_bytes;
long pv_force_event_delivery();  // a harmless hypercall, on whose return Xen delivers events
long pv_block();                 // SCHEDOP_block: unmasks, sleeps until an event

inline bool interrupts_enabled() {
  if (pv_vcpu_event_bytes) return pv_vcpu_event_bytes[1] == 0;
  uint64_t flags;
  asm volatile("pushfq; popq %0" : "=r"(flags));
  return flags & (1 << 9);
}
inline void disable_interrupts() {
  if (pv_vcpu_event_bytes) {
    pv_vcpu_event_bytes[1] = 1;
    asm volatile("" ::: "memory");
  } else {
    asm volatile("cli" ::: "memory");
  }
}
inline void enable_interrupts() {
  if (pv_vcpu_event_bytes) {
    asm volatile("" ::: "memory");
    pv_vcpu_event_bytes[1] = 0;
    asm volatile("" ::: "memory");
    if (pv_vcpu_event_bytes[0]) pv_force_event_delivery();  // one came while masked
  } else {
    asm volatile("sti" ::: "memory");
  }
}
[[noreturn]] inline void halt_forever() {
  for (;;) {
    if (pv_vcpu_event_bytes)
      pv_block();
    else
      asm volatile("cli; hlt");
  }
}

}  // namespace arch
