// The kernel console: every log line and every write to stdout/stderr ends here.
// Until a console ring exists it writes to the early console (I/O port 0xE9: Xen's HVM debug
// console, which Xen prints as "(dN) ..."; QEMU's -debugcon).
#pragma once
#include <cstddef>
#include <span>
#include <string_view>

namespace kernel {

using ConsoleWriter = void (*)(std::string_view text);
using ConsoleReader = size_t (*)(std::span<char> out);

void console_write(std::string_view text);
// Routes console output to `writer` from now on (e.g. the PV console ring once it is up).
void console_set_writer(ConsoleWriter writer);
// Waits for console input and returns what came (at most out.size() bytes); 0 when this
// console has no input (the early console has none).
size_t console_read(std::span<char> out);
// Where console input comes from from now on (the PV console ring once it is up).
void console_set_reader(ConsoleReader reader);
// The early console, for panics that cannot trust anything else.
void early_console_write(std::string_view text);

}  // namespace kernel
