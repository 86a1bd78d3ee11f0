// Decimal numbers in text the program did not write itself (xenstore values, a guest's ctl
// message, a command line, a mapped record): digits only, at least one, at most `max`. One
// parser for the guest and iohost, so that none of them takes a sign, a space or an overflow
// where another would not (strtoul takes all three). Header-only and freestanding.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace common {

constexpr std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max) {
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

}  // namespace common
