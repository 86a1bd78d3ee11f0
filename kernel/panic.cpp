// A panic is final: it prints once (a nested panic goes straight to shutdown) and crashes.
#include "panic.h"
#include <cstdarg>
#include "console.h"
#include "contract.h"
#include "cpu.h"
#include "format.h"
#include "log.h"
#include "shutdown.h"
#include "symbols.h"

namespace kernel {

void panic(const char* fmt, ...) {
  static bool panicking = false;
  arch::disable_interrupts();
  if (panicking) machine_exit(kPanicExitStatus);
  panicking = true;
  char message[256];
  va_list args;
  va_start(args, fmt);
  format(message, sizeof message, fmt, args);
  va_end(args);
  log("\n*** panic: %s\n", message);
  // Start at our caller: its return address, and its frame (the first word of ours).
  auto* own_frame = static_cast<const uint64_t*>(arch::frame_address());
  print_backtrace(reinterpret_cast<uint64_t>(__builtin_return_address(0)), own_frame[0]);
  machine_exit(kPanicExitStatus);
}

}  // namespace kernel

void contract_violation(const char* expression, const char* file, int line) {
  kernel::panic("contract violated: %s (%s:%d)", expression, file, line);
}
