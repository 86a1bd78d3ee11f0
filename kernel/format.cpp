// Kernel log formatting (see format.h).
#include "format.h"
#include <cerrno>
#include <cstdint>

namespace kernel {
namespace {

struct Output {
  char* out;
  size_t capacity;
  size_t length = 0;
  void put(char c) {
    if (length + 1 < capacity) out[length] = c;
    ++length;
  }
};

void put_number(Output& o, uint64_t value, unsigned base, bool upper, bool negative, unsigned width,
                char pad) {
  char digits[24];
  unsigned n = 0;
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    digits[n++] = alphabet[value % base];
    value /= base;
  } while (value != 0);
  unsigned total = n + (negative ? 1 : 0);
  if (negative && pad == '0') o.put('-');
  for (; total < width; ++total) o.put(pad);
  if (negative && pad != '0') o.put('-');
  while (n > 0) o.put(digits[--n]);
}

}  // namespace

size_t format(char* out, size_t capacity, const char* fmt, va_list args) {
  Output o{out, capacity};
  for (const char* p = fmt; *p != '\0'; ++p) {
    if (*p != '%') {
      o.put(*p);
      continue;
    }
    ++p;
    char pad = ' ';
    if (*p == '0') {
      pad = '0';
      ++p;
    }
    unsigned width = 0;
    while (*p >= '0' && *p <= '9') width = width * 10 + unsigned(*p++ - '0');
    int longness = 0;
    while (*p == 'l' || *p == 'z') {
      longness = *p == 'z' ? 2 : longness + 1;
      ++p;
    }
    switch (*p) {
      case 'd':
      case 'i': {
        int64_t v = longness ? va_arg(args, int64_t) : va_arg(args, int);
        uint64_t magnitude = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
        put_number(o, magnitude, 10, false, v < 0, width, pad);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        uint64_t v = longness ? va_arg(args, uint64_t) : va_arg(args, unsigned);
        put_number(o, v, *p == 'u' ? 10 : 16, *p == 'X', false, width, pad);
        break;
      }
      case 'p':
        o.put('0');
        o.put('x');
        put_number(o, reinterpret_cast<uintptr_t>(va_arg(args, void*)), 16, false, false, width, '0');
        break;
      case 'c': o.put(char(va_arg(args, int))); break;
      case 's': {
        const char* s = va_arg(args, const char*);
        if (s == nullptr) s = "(null)";
        size_t len = 0;
        while (s[len] != '\0') ++len;
        for (; len < width; ++len) o.put(' ');
        while (*s != '\0') o.put(*s++);
        break;
      }
      case '%': o.put('%'); break;
      case '\0':
        --p;  // a trailing '%': stop at the terminator
        break;
      default: o.put('%'); o.put(*p);
    }
  }
  if (capacity > 0) out[o.length < capacity ? o.length : capacity - 1] = '\0';
  return o.length;
}

size_t format_to(char* out, size_t capacity, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  size_t length = format(out, capacity, fmt, args);
  va_end(args);
  return length;
}

}  // namespace kernel
