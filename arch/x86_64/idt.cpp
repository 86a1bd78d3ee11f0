// The interrupt descriptor table: 32 exception gates, each pointing at a stub in trap_entry.S.
#include "trap.h"
#include "boot_layout.h"
#include "hypercall.h"

extern "C" const uint64_t trap_stub_table[arch::kExceptionVectors];
extern "C" const uint64_t pv_trap_stub_table[arch::kExceptionVectors];
extern "C" void arch_upcall_entry();
extern "C" arch::InterruptHandler arch_upcall_handler;
arch::InterruptHandler arch_upcall_handler;

namespace arch {
namespace {

struct [[gnu::packed]] IdtGate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attributes;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

struct [[gnu::packed]] IdtDescriptor {
  uint16_t limit;
  uint64_t base;
};

constexpr uint8_t kInterruptGate = 0x8e;  // present, DPL 0, 64-bit interrupt gate
alignas(16) IdtGate idt[256];
TrapHandler trap_handler;

IdtGate gate_for(uint64_t target) {
  return IdtGate{uint16_t(target),       GDT_KERNEL_CODE,        0, kInterruptGate,
                 uint16_t(target >> 16), uint32_t(target >> 32), 0};
}

}  // namespace

void install_idt(TrapHandler handler) {
  trap_handler = handler;
  for (unsigned v = 0; v < kExceptionVectors; ++v) idt[v] = gate_for(trap_stub_table[v]);
  IdtDescriptor descriptor{sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)};
  asm volatile("lidt %0" ::"m"(descriptor));
}

void install_upcall_vector(uint8_t vector, InterruptHandler handler) {
  arch_upcall_handler = handler;
  idt[vector] = gate_for(reinterpret_cast<uint64_t>(arch_upcall_entry));
}

void set_upcall_handler(InterruptHandler handler) { arch_upcall_handler = handler; }

volatile uint64_t* pv_cr2 = nullptr;

long install_pv_trap_table(TrapHandler handler) {
  trap_handler = handler;
  // xen/arch-x86/xen.h struct trap_info: vector, flags (privilege level), cs, address.
  struct Entry {
    uint8_t vector, flags;
    uint16_t cs;
    uint32_t pad;
    uint64_t address;
  };
  static_assert(sizeof(Entry) == 16);
  static Entry table[kExceptionVectors + 1];  // a zero entry ends it
  constexpr uint16_t kFlatKernelCs = 0xe033;  // FLAT_KERNEL_CS64
  for (unsigned v = 0; v < kExceptionVectors; ++v)
    table[v] = {uint8_t(v), uint8_t(v == 3 || v == 4 ? 3 : 0), kFlatKernelCs, 0, pv_trap_stub_table[v]};
  table[kExceptionVectors] = {};
  constexpr unsigned kHypercallSetTrapTable = 0;  // __HYPERVISOR_set_trap_table
  return hypercall(kHypercallSetTrapTable, reinterpret_cast<uint64_t>(table));
}

const char* exception_name(uint64_t vector) {
  // Laid out by hand: a table.
  // clang-format off
  static const char* const names[kExceptionVectors] = {
      "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
      "device not available", "double fault", "coprocessor overrun", "invalid TSS",
      "segment not present", "stack fault", "general protection", "page fault", "reserved",
      "x87 floating point", "alignment check", "machine check", "SIMD floating point",
      "virtualization", "control protection", "reserved", "reserved", "reserved", "reserved",
      "reserved", "reserved", "hypervisor injection", "VMM communication", "security",
      "reserved"};
  // clang-format on
  return vector < kExceptionVectors ? names[vector] : "interrupt";
}

}  // namespace arch

extern "C" void arch_trap_dispatch(arch::TrapFrame* frame) { arch::trap_handler(*frame); }
