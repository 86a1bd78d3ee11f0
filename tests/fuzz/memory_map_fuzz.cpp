// libFuzzer target: the memory map a guest builds from its start info (hvm_start_info's memmap,
// or Xen's E820), before any heap. Whatever the table says, the ranges built are RAM, whole
// pages, below the limit, sorted and apart, and fit the storage given.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>
#include "memory/memory_map.h"

using kernel::FirmwareMemoryEntry;
using kernel::MemoryMap;
using kernel::MemoryRange;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t limit;
  std::memcpy(&limit, data, 8);
  std::vector<FirmwareMemoryEntry> entries((size - 8) / 20);
  for (size_t i = 0; i < entries.size(); ++i) {
    const uint8_t* e = data + 8 + i * 20;
    std::memcpy(&entries[i].address, e, 8);
    std::memcpy(&entries[i].size, e + 8, 8);
    std::memcpy(&entries[i].type, e + 16, 4);
    entries[i].type %= 4;  // RAM (1) often enough to matter
  }
  MemoryRange storage[8];
  MemoryMap map(storage);
  if (map.build(entries, limit) != MemoryMap::Outcome::kBuilt) return 0;
  uint64_t previous_end = 0, total = 0;
  for (const MemoryRange& r : map.ranges()) {
    if (r.base % kernel::kPageSize || r.end % kernel::kPageSize || r.end <= r.base) __builtin_trap();
    if (r.base < previous_end || r.end > limit) __builtin_trap();
    previous_end = r.end;
    total += r.size();
  }
  if (total != map.total_bytes()) __builtin_trap();
  return 0;
}
