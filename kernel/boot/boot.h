// What the boot path (PVH now, PV later) hands to the rest of the kernel.
#pragma once
#include <cstdint>
#include <string_view>

namespace kernel {

struct BootInfo {
  std::string_view command_line;
  const char* platform;  // "xen-pvh", "pvh-no-xen"
  uint64_t ram_bytes;
};

// The TSC when the boot path was entered (benchmarks: entry to main).
extern uint64_t boot_entry_tsc;

// Starts everything above memory, runs the app's main and exits with its status.
[[noreturn]] void kernel_main(const BootInfo& boot);

}  // namespace kernel
