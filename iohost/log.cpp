// The log (see log.h): whole lines, written with one write(2) so threads never interleave.
#include "log.h"
#include <unistd.h>
#include <string>

namespace iohost {
namespace {
bool verbose_ = false;
}

void log_line(std::string_view text) {
  std::string line = "iohost: ";
  line += text;
  if (line.back() != '\n') line += '\n';
  (void)!::write(2, line.data(), line.size());
}

void set_verbose(bool on) { verbose_ = on; }
bool verbose() { return verbose_; }

}  // namespace iohost
