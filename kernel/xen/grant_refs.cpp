// Grant reference bookkeeping (see grant_refs.h).
#include "grant_refs.h"
#include "contract.h"

namespace xen {

void GrantRefs::add_frame() {
  uint32_t first = frames_ * kEntriesPerFrame;
  ++frames_;
  in_use_.resize(frames_ * kEntriesPerFrame / 64, 0);
  // Pushed high to low so refs are handed out in increasing order.
  for (uint32_t ref = frames_ * kEntriesPerFrame; ref-- > first;)
    if (ref >= kReserved) free_.push_back(ref);
}

std::optional<uint32_t> GrantRefs::take() {
  if (free_.empty()) return std::nullopt;
  uint32_t ref = free_.back();
  free_.pop_back();
  in_use_[ref / 64] |= uint64_t(1) << (ref % 64);
  ++in_use_count_;
  return ref;
}

void GrantRefs::give_back(uint32_t ref) {
  Expects(ref / 64 < in_use_.size() && (in_use_[ref / 64] >> (ref % 64) & 1));
  in_use_[ref / 64] &= ~(uint64_t(1) << (ref % 64));
  --in_use_count_;
  free_.push_back(ref);
}

}  // namespace xen
