// Console routing: early port 0xE9 first, a ring-backed writer once registered.
#include "console.h"
#include "cpu.h"

namespace kernel {
namespace {
constexpr uint16_t kDebugConsolePort = 0xe9;  // XEN_HVM_DEBUGCONS_IOPORT
ConsoleWriter current_writer = early_console_write;
ConsoleReader current_reader = nullptr;
}  // namespace

void early_console_write(std::string_view text) {
  for (char c : text) arch::outb(kDebugConsolePort, uint8_t(c));
}

void console_write(std::string_view text) { current_writer(text); }

void console_set_writer(ConsoleWriter writer) { current_writer = writer; }

size_t console_read(std::span<char> out) { return current_reader ? current_reader(out) : 0; }

void console_set_reader(ConsoleReader reader) { current_reader = reader; }

}  // namespace kernel
