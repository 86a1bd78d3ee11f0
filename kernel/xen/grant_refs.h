// Grant reference bookkeeping (pure logic; unit-tested on the host): which refs are free, in
// frames of 512 v1 entries, never handing out the 8 refs Xen reserves for the toolstack.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

namespace xen {

class GrantRefs {
 public:
  static constexpr uint32_t kEntriesPerFrame = 4096 / 8;  // sizeof(grant_entry_v1_t) == 8
  static constexpr uint32_t kReserved = 8;                // GNTTAB_NR_RESERVED_ENTRIES

  void add_frame();                // the table grew by one frame: its refs become free
  std::optional<uint32_t> take();  // nullopt: grow the table first
  void give_back(uint32_t ref);    // a ref not in use is a contract violation
  uint32_t frames() const { return frames_; }
  uint32_t in_use() const { return in_use_count_; }
  uint32_t free_count() const { return uint32_t(free_.size()); }

 private:
  uint32_t frames_ = 0;
  uint32_t in_use_count_ = 0;
  std::vector<uint32_t> free_;
  std::vector<uint64_t> in_use_;  // a bit per ref (not vector<bool>: its resize alone is 1 KB of code)
};

}  // namespace xen
