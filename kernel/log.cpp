// Formats into a stack buffer and hands the bytes to the console; longer lines are marked cut.
#include "log.h"
#include <cstdarg>
#include "console.h"
#include "format.h"

namespace kernel {

void log(const char* fmt, ...) {
  char line[512];
  va_list args;
  va_start(args, fmt);
  size_t length = format(line, sizeof line, fmt, args);
  va_end(args);
  if (length < sizeof line) {
    console_write({line, length});
  } else {
    console_write({line, sizeof line - 1});
    console_write("...[log line cut]\n");
  }
}

}  // namespace kernel
