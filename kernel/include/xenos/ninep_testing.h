// For tests only: breaking the 9pfs ring protocol on purpose, to prove that a backend closes
// the device of a guest that does so and serves every other guest on (p9test's "hostile"
// mode). An app has no other reason to call this.
#pragma once
#include "xenos/ninep.h"

namespace xenos::ninep::testing {

enum class RingAbuse {
  kIndexBeyondRing,  // out_prod claims more bytes than the ring holds
  kSizeBeyondRing,   // a request whose size[4] is larger than the whole ring
  kSizeBelowHeader,  // a request whose size[4] is 3, less than a 9P header
  kSizeBeyondMsize,  // a request that could never end: size[4] above msize, only 7 bytes sent
};

const char* name(RingAbuse how);

// Writes the abuse into the share's first request ring and notifies the backend.
Result<void> abuse_ring(Share& share, RingAbuse how);

}  // namespace xenos::ninep::testing
