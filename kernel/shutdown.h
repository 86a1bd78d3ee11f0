// Leaving the machine: Xen SCHEDOP_shutdown (poweroff on status 0, crash otherwise) or, on
// bare QEMU, the isa-debug-exit port (QEMU exits with (status << 1) | 1).
#pragma once

namespace kernel {

constexpr int kPanicExitStatus = 127;

[[noreturn]] void machine_exit(int status);
[[noreturn]] void machine_reboot();

}  // namespace kernel
