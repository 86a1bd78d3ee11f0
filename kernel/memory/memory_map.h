// The guest's usable RAM as sorted, page-aligned, non-overlapping ranges, built from the
// firmware's table (hvm_start_info memmap, or Xen's XENMEM_memory_map E820).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace kernel {

constexpr uint64_t kPageSize = 4096;
constexpr uint32_t kMemoryTypeRam = 1;  // E820 / XEN_HVM_MEMMAP_TYPE_RAM

// One entry as firmware describes it (any type).
struct FirmwareMemoryEntry {
  uint64_t address;
  uint64_t size;
  uint32_t type;
};

struct MemoryRange {
  uint64_t base;
  uint64_t end;  // exclusive
  uint64_t size() const { return end - base; }
};

class MemoryMap {
 public:
  // How build() went: a plain enum, not an Error value (those own a string; there is no heap yet).
  enum class Outcome { kBuilt, kTooManyRanges, kNoRam };

  // `storage` holds the result; it is filled, never grown (this runs before any heap).
  constexpr explicit MemoryMap(std::span<MemoryRange> storage) : storage_(storage) {}

  // Keeps RAM entries below `limit`, trims each to whole pages, sorts and merges.
  // RAM at or above `limit` is counted in ignored_bytes(), not silently dropped.
  Outcome build(std::span<const FirmwareMemoryEntry> entries, uint64_t limit);

  std::span<const MemoryRange> ranges() const { return storage_.first(count_); }
  uint64_t total_bytes() const;
  uint64_t ignored_bytes() const { return ignored_bytes_; }
  uint64_t end_address() const { return count_ ? storage_[count_ - 1].end : 0; }

 private:
  std::span<MemoryRange> storage_;
  size_t count_ = 0;
  uint64_t ignored_bytes_ = 0;
};

}  // namespace kernel
