// Memory map normalisation (see memory_map.h). Pure logic; unit-tested on the host.
#include "memory_map.h"

namespace kernel {

MemoryMap::Outcome MemoryMap::build(std::span<const FirmwareMemoryEntry> entries, uint64_t limit) {
  count_ = 0;
  ignored_bytes_ = 0;
  for (const FirmwareMemoryEntry& e : entries) {
    if (e.type != kMemoryTypeRam || e.size == 0) continue;
    // Found by tests/fuzz/memory_map_fuzz.cpp: rounding the base up could wrap to 0 (an entry
    // in the last page of the address space became RAM from 0), and an unaligned limit left a
    // range ending inside a page.
    if (e.address > UINT64_MAX - (kPageSize - 1)) continue;
    uint64_t end = e.address + e.size < e.address ? UINT64_MAX : e.address + e.size;
    uint64_t base = (e.address + kPageSize - 1) & ~(kPageSize - 1);
    end &= ~(kPageSize - 1);
    uint64_t page_limit = limit & ~(kPageSize - 1);
    if (end > page_limit) {
      uint64_t cut_from = base > page_limit ? base : page_limit;
      if (end > cut_from) ignored_bytes_ += end - cut_from;
      end = page_limit;
    }
    if (base >= end) continue;
    if (count_ == storage_.size()) return Outcome::kTooManyRanges;
    // Insertion sort: firmware tables are short and usually sorted already.
    size_t i = count_++;
    while (i > 0 && storage_[i - 1].base > base) {
      storage_[i] = storage_[i - 1];
      --i;
    }
    storage_[i] = {base, end};
  }
  size_t merged = 0;
  for (size_t i = 0; i < count_; ++i) {
    if (merged > 0 && storage_[i].base <= storage_[merged - 1].end) {
      if (storage_[i].end > storage_[merged - 1].end) storage_[merged - 1].end = storage_[i].end;
    } else {
      storage_[merged++] = storage_[i];
    }
  }
  count_ = merged;
  return count_ == 0 ? Outcome::kNoRam : Outcome::kBuilt;
}

uint64_t MemoryMap::total_bytes() const {
  uint64_t total = 0;
  for (const MemoryRange& r : ranges()) total += r.size();
  return total;
}

}  // namespace kernel
