// Decimal numbers in text iohost did not write itself (xenstore, a guest's ctl message, the
// command line): digits only, at least one, at most `max`. One parser, so that none of them
// takes a sign, a space or an overflow where another would not (strtoul takes all three).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace iohost {

inline std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max) {
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    unsigned digit = unsigned(c - '0');
    if (digit > max || v > (max - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

}  // namespace iohost
