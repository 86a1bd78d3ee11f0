// CPU exceptions: every one is fatal for now. Report what a developer needs to find the bug
// (vector and name, error code, CR2 for page faults, all registers, a symbolised backtrace),
// then crash the domain.
#include "traps.h"
#include "cpu.h"
#include "log.h"
#include "shutdown.h"
#include "symbols.h"
#include "trap.h"

namespace kernel {

void report_trap(arch::TrapFrame& f) {
  static bool reporting = false;
  if (reporting) machine_exit(kPanicExitStatus);  // faulted while reporting a fault
  reporting = true;
  log("\n*** exception %lu (%s), error code 0x%lx\n", f.vector, arch::exception_name(f.vector), f.error_code);
  if (f.vector == 14) {
    uint64_t cr2 = arch::pv_cr2 ? *arch::pv_cr2 : arch::read_cr2();  // PV: Xen keeps it for us
    log("page fault address (cr2) 0x%lx: %s, %s, %s\n", cr2,
        f.error_code & 1 ? "protection violation" : "page not present", f.error_code & 2 ? "write" : "read",
        f.error_code & 16 ? "instruction fetch" : "data");
  }
  SymbolLookup at = symbolize(f.rip);
  log("rip %016lx %s+0x%lx\n", f.rip, at.found ? at.name : "?", at.offset);
  log("rsp %016lx rflags %016lx cs %lx ss %lx\n", f.rsp, f.rflags, f.cs, f.ss);
  log("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f.rax, f.rbx, f.rcx, f.rdx);
  log("rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", f.rsi, f.rdi, f.rbp, f.r8);
  log("r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", f.r9, f.r10, f.r11, f.r12);
  log("r13 %016lx r14 %016lx r15 %016lx cr3 %016lx\n", f.r13, f.r14, f.r15,
      arch::pv_cr2 ? 0 : arch::read_cr3());  // PV may not read CR3
  print_backtrace(f.rip, f.rbp);
  machine_exit(kPanicExitStatus);
}

void traps_init() {
  arch::install_idt([](arch::TrapFrame& f) { report_trap(f); });
}

}  // namespace kernel
