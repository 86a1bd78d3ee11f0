// The .ksyms reader. Records in address order, each: the distance from the previous record's
// address (LEB128), how many leading characters of the previous name this one keeps (a byte),
// the rest of the name, NUL-terminated, each byte standing for its text in the token table
// (an empty text: the byte itself). Read only when reporting a fault: a linear scan is enough.
#include "symbol_table.h"
#include <cstddef>

namespace kernel {

SymbolLookup look_up(const SymbolTable& table, uint64_t address) {
  SymbolLookup s;
  if (table.count == 0) return s;  // the first link pass's empty table has no token texts
  uint16_t text_at[256] = {};      // where each byte's text starts in table.tokens
  const char* t = table.tokens;
  for (unsigned byte = 1; byte < 256; ++byte) {
    text_at[byte] = uint16_t(t - table.tokens);
    t += __builtin_strlen(t) + 1;
  }
  constexpr size_t kMax = sizeof s.name - 1;
  size_t length = 0;  // of the name being rebuilt in s.name
  uint64_t at = 0;
  const unsigned char* p = table.stream;
  for (uint64_t i = 0; i < table.count; ++i) {
    uint64_t delta = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      unsigned char byte = *p++;
      delta |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    at += delta;
    if (at > address) break;
    size_t keep = *p++;
    if (keep < length) length = keep;
    for (; *p; ++p) {
      const char* text = table.tokens + text_at[*p];
      if (!*text) {
        if (length < kMax) s.name[length++] = char(*p);
      }
      for (; *text; ++text)
        if (length < kMax) s.name[length++] = *text;
    }
    ++p;
    s.found = true;
    s.offset = address - at;
  }
  s.name[s.found ? length : 0] = '\0';
  return s;
}

}  // namespace kernel
