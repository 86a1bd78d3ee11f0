// Symbolisation from the .ksyms table and a frame-pointer backtrace that checks every pointer
// before following it (a corrupt stack must not fault the fault handler).
#include "symbols.h"
#include <cstddef>
#include "log.h"

// Laid out by tools/ksyms.py (symbol_table.cpp reads it).
extern "C" const uint64_t ksyms_count;
extern "C" const unsigned char ksyms_stream[];
extern "C" const char ksyms_tokens[];

namespace kernel {

SymbolLookup symbolize(uint64_t address) {
  return look_up({ksyms_count, ksyms_stream, ksyms_tokens}, address);
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
