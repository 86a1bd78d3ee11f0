// Panic: report, print a backtrace, shut the machine down with a crash status.
#pragma once

namespace kernel {

[[noreturn, gnu::format(printf, 1, 2)]] void panic(const char* fmt, ...);

}  // namespace kernel
