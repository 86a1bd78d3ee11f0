// Console routing: early port 0xE9 first, a ring-backed writer once registered.
#include "console.h"
#include "cpu.h"

namespace kernel {
namespace {
constexpr uint16_t kDebugConsolePort = 0xe9;  // XEN_HVM_DEBUGCONS_IOPORT
ConsoleWriter current_writer = early_console_write;
}  // namespace

void early_console_write(std::string_view text) {
  for (char c : text) arch::outb(kDebugConsolePort, uint8_t(c));
}

void console_write(std::string_view text) { current_writer(text); }

void console_set_writer(ConsoleWriter writer) { current_writer = writer; }

}  // namespace kernel
