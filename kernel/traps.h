// Exception handling: installs the IDT so every CPU exception gets a full report.
#pragma once

namespace arch {
struct TrapFrame;
}

namespace kernel {
void traps_init();
// Reports a CPU exception and crashes the domain (the handler for PVH's IDT and PV's trap table).
[[noreturn]] void report_trap(arch::TrapFrame& frame);
}  // namespace kernel
