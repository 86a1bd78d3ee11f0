// The log (see log.h): whole lines, written with one write(2) so threads never interleave.
// Much of what is logged comes from clients (attach names, cons writes, paths): a control byte
// is written as \xNN, so a client can neither start a forged line nor send the terminal
// escapes. Printable UTF-8 passes as it is.
#include "log.h"
#include <time.h>
#include <unistd.h>
#include <string>

namespace iohost {
namespace {
bool verbose_ = false;
}

std::string escape_for_log(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c == '\\') {
      out += '\\';
      if (c == '\\') {
        out += '\\';
        continue;
      }
      out += 'x';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

void log_line(std::string_view text) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);  // the line's own end
  std::string line = "iohost: " + escape_for_log(text) + "\n";
  (void)!::write(2, line.data(), line.size());
}

void RateLimitedLog::operator()(std::string_view text) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t ns = uint64_t(now.tv_sec) * 1'000'000'000u + uint64_t(now.tv_nsec);
  if (logged_ && ns - last_ns_ < interval_ns_) {
    ++left_out_;
    return;
  }
  std::string line(text);
  if (left_out_ > 0) line += " (and " + std::to_string(left_out_) + " more like it left out of the log)";
  log_line(line);
  logged_ = true;
  last_ns_ = ns;
  left_out_ = 0;
}

void set_verbose(bool on) { verbose_ = on; }
bool verbose() { return verbose_; }

}  // namespace iohost
