// Symbolisation from the .ksyms table and a frame-pointer backtrace that checks every pointer
// before following it (a corrupt stack must not fault the fault handler).
#include "symbols.h"
#include <cstddef>
#include "log.h"

// Laid out by tools/ksyms.py: records in address order, each the distance from the previous
// record's address (LEB128) and a name in which a byte >= 0x80 stands for a frequent piece of a
// name, ksyms_tokens[byte - 0x80]. Read only when reporting a fault: a linear scan is enough.
extern "C" const uint64_t ksyms_count;
extern "C" const unsigned char ksyms_stream[];
extern "C" const char ksyms_tokens[];

namespace kernel {
namespace {
const char* token(unsigned index) {  // the table ends with an empty token
  const char* t = ksyms_tokens;
  for (; index > 0 && *t; --index) t += __builtin_strlen(t) + 1;
  return t;
}

void expand(const char* encoded, char* out, size_t capacity) {
  size_t n = 0;
  auto put = [&](char c) {
    if (n + 1 < capacity) out[n++] = c;
  };
  for (const char* p = encoded; *p; ++p) {
    auto byte = static_cast<unsigned char>(*p);
    if (byte < 0x80)
      put(*p);
    else
      for (const char* t = token(byte - 0x80); *t; ++t) put(*t);
  }
  out[n] = '\0';
}
}  // namespace

SymbolLookup symbolize(uint64_t address) {
  SymbolLookup s;
  const unsigned char* p = ksyms_stream;
  const char* name = nullptr;
  uint64_t start = 0, at = 0;
  for (uint64_t i = 0; i < ksyms_count; ++i) {
    uint64_t delta = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      unsigned char byte = *p++;
      delta |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    at += delta;
    if (at > address) break;
    name = reinterpret_cast<const char*>(p);
    start = at;
    while (*p) ++p;
    ++p;
  }
  if (!name) return s;
  s.found = true;
  s.offset = address - start;
  expand(name, s.name, sizeof s.name);
  return s;
}

namespace {
void print_frame(unsigned depth, uint64_t rip) {
  // A return address is the byte after its call: after a call to a noreturn function that is
  // already the next function, so callers are looked up one byte back.
  uint64_t in_call = depth > 0 ? rip - 1 : rip;
  SymbolLookup s = symbolize(in_call);
  if (s.found)
    log("  #%u 0x%lx %s+0x%lx\n", depth, rip, s.name, s.offset + (rip - in_call));
  else
    log("  #%u 0x%lx ?\n", depth, rip);
}

bool plausible_frame(uint64_t fp) {
  // Frames live in RAM we map (the boot stack is in the image; thread stacks come from the
  // frame allocator), are 8-aligned, and must not be in the zero page.
  return fp >= 0x1000 && (fp & 7) == 0 && fp < (4ULL << 30) - 16;
}
}  // namespace

// Limitation: GCC keeps no frame in a leaf that needs no stack and may schedule the frame
// setup after the first instructions, so when a function faults before its frame exists its
// caller is missing from the chain (rip still names the function itself).
void print_backtrace(uint64_t rip, uint64_t frame_pointer) {
  log("backtrace:\n");
  print_frame(0, rip);
  uint64_t fp = frame_pointer;
  for (unsigned depth = 1; depth < 32 && plausible_frame(fp); ++depth) {
    auto* frame = reinterpret_cast<const uint64_t*>(fp);
    uint64_t return_address = frame[1];
    if (return_address == 0) break;
    print_frame(depth, return_address);
    if (frame[0] <= fp) break;  // stacks grow down: the caller's frame is above ours
    fp = frame[0];
  }
}

}  // namespace kernel
