// The saved state of a trapped context and the IDT that routes CPU exceptions to the kernel.
#pragma once
#include <cstdint>

namespace arch {

// Layout written by trap_entry.S: the registers it pushes, then what the CPU pushed.
struct TrapFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;
};

constexpr unsigned kExceptionVectors = 32;

// Installs the IDT with the 32 exception stubs; every trap then calls `handler`.
using TrapHandler = void (*)(TrapFrame&);
void install_idt(TrapHandler handler);

const char* exception_name(uint64_t vector);

// Routes interrupt `vector` to `handler` (interrupt_entry.S saves all state around it).
using InterruptHandler = void (*)();
void install_upcall_vector(uint8_t vector, InterruptHandler handler);
// PV: the same handler, called from the event callback (pv_entry.S) instead of a vector.
void set_upcall_handler(InterruptHandler handler);
// PV: registers the exception stubs with Xen (set_trap_table); every trap then calls `handler`.
long install_pv_trap_table(TrapHandler handler);
// PV: CR2 and CR3 are Xen's to read; the PV boot says where the faulting address is kept.
extern volatile uint64_t* pv_cr2;

}  // namespace arch
