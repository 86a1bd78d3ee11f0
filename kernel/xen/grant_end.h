// Ending a v1 grant (pure; unit-tested on the host). grant_table.h: the granter may clear an
// entry's flags only while the peer neither reads nor writes it (GTF_reading/GTF_writing, set by
// Xen while the peer maps the page); the compare-exchange makes a mapping that races in lose.
#pragma once
#include <cstdint>

namespace xen {

constexpr uint16_t kGtfReading = 1 << 3;  // GTF_reading
constexpr uint16_t kGtfWriting = 1 << 4;  // GTF_writing

// Returns false, and changes nothing, while the peer still has the page mapped.
inline bool try_end_access(volatile uint16_t* flags) {
  uint16_t seen = *flags;
  do {
    if (seen & (kGtfReading | kGtfWriting)) return false;
  } while (
      !__atomic_compare_exchange_n(flags, &seen, uint16_t(0), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
  return true;
}

}  // namespace xen
