// iohost's log: one line per event on standard error ("iohost: ..."), which systemd or the
// harness keeps. Safe from any thread.
#pragma once
#include <string_view>

namespace iohost {

void log_line(std::string_view text);
void set_verbose(bool on);
bool verbose();

}  // namespace iohost
