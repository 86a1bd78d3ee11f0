// The kernel console: every log line and every write to stdout/stderr ends here.
// Until a console ring exists it writes to the early console (I/O port 0xE9: Xen's HVM debug
// console, which Xen prints as "(dN) ..."; QEMU's -debugcon).
#pragma once
#include <cstddef>
#include <string_view>

namespace kernel {

using ConsoleWriter = void (*)(std::string_view text);

void console_write(std::string_view text);
// Routes console output to `writer` from now on (e.g. the PV console ring once it is up).
void console_set_writer(ConsoleWriter writer);
// The early console, for panics that cannot trust anything else.
void early_console_write(std::string_view text);

}  // namespace kernel
