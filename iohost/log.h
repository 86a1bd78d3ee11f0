// iohost's log: one line per event on standard error ("iohost: ..."), which systemd or the
// harness keeps. Safe from any thread. Every control byte in the text (a newline a client put
// in its attach name, a terminal escape) is written as \xNN, so one call is always one line.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace iohost {

void log_line(std::string_view text);
// `text` with control bytes and backslashes as \xNN and \\ (what log_line writes).
std::string escape_for_log(std::string_view text);
void set_verbose(bool on);

// For events a client can repeat at will (a budget refused, a connection refused): the first
// line is written, then at most one every `interval_s` seconds, saying how many it left out.
// Not thread-safe: one per client, used on the loop's thread.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(unsigned interval_s = 10) : interval_ns_(uint64_t(interval_s) * 1'000'000'000u) {}
  void operator()(std::string_view text);

 private:
  uint64_t interval_ns_;
  uint64_t last_ns_ = 0;
  bool logged_ = false;
  size_t left_out_ = 0;
};
bool verbose();

}  // namespace iohost
