// Kernel log: formatted lines to the console.
#pragma once

namespace kernel {

[[gnu::format(printf, 1, 2)]] void log(const char* fmt, ...);

}  // namespace kernel
