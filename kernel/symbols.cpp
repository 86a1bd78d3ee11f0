// Symbolisation from the .ksyms table and a frame-pointer backtrace that checks every pointer
// before following it (a corrupt stack must not fault the fault handler).
#include "symbols.h"
#include "log.h"

// Laid out by tools/ksyms.sh: entries sorted by address, names in a string blob.
struct KsymEntry {
  uint64_t address;
  uint32_t name_offset;
  uint32_t reserved;
};
extern "C" const uint64_t ksyms_count;
extern "C" const KsymEntry ksyms_entries[];
extern "C" const char ksyms_names[];
extern "C" char __image_start[], __image_end[];

namespace kernel {

SymbolLookup symbolize(uint64_t address) {
  uint64_t lo = 0, hi = ksyms_count;  // find the last entry with entry.address <= address
  while (lo < hi) {
    uint64_t mid = (lo + hi) / 2;
    if (ksyms_entries[mid].address <= address) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return {nullptr, 0};
  const KsymEntry& e = ksyms_entries[lo - 1];
  return {ksyms_names + e.name_offset, address - e.address};
}

namespace {
void print_frame(unsigned depth, uint64_t rip) {
  SymbolLookup s = symbolize(rip);
  if (s.name) log("  #%u 0x%lx %s+0x%lx\n", depth, rip, s.name, s.offset);
  else log("  #%u 0x%lx ?\n", depth, rip);
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
