// The 2-level event channel scan (pure logic; unit-tested on the host): given the selector word
// and the pending/mask bitmaps, clears and reports every pending, unmasked port in order.
#pragma once
#include <cstdint>

namespace xen {

// `selector`: bit i set = word i of `pending` may have bits. Each reported port's pending bit
// is cleared before `deliver(port)` runs (so an event raised during delivery is kept).
// Returns the number of ports delivered. Words at or beyond `words` are ignored.
template <typename Deliver>
unsigned scan_pending(uint64_t selector, volatile uint64_t* pending, const volatile uint64_t* mask,
                      unsigned words, Deliver&& deliver) {
  unsigned delivered = 0;
  while (selector != 0) {
    unsigned word = unsigned(__builtin_ctzll(selector));
    selector &= selector - 1;
    if (word >= words) continue;
    uint64_t ready;
    while ((ready = pending[word] & ~mask[word]) != 0) {
      unsigned bit = unsigned(__builtin_ctzll(ready));
      __atomic_fetch_and(&pending[word], ~(uint64_t(1) << bit), __ATOMIC_SEQ_CST);
      deliver(word * 64 + bit);
      ++delivered;
    }
  }
  return delivered;
}

}  // namespace xen
