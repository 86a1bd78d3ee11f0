// The 9pfs ring budget (see ring_budget.h).
#include "ring_budget.h"
#include <algorithm>

namespace xen {

RingPlan plan_rings(unsigned offered_rings, unsigned max_order, uint64_t budget_bytes) {
  constexpr uint64_t kPage = 4096;
  uint64_t budget_pages = budget_bytes / kPage;
  // The numbers come from the backend: no more rings than budget pages (each takes at least
  // two), and no order whose page count would not fit the arithmetic, so the loop is short.
  RingPlan p{unsigned(std::min<uint64_t>(offered_rings, budget_pages)), std::min(max_order, 20u)};
  auto cost = [&] { return uint64_t(p.rings) * (1 + (uint64_t(1) << p.order)); };
  while (p.rings > 0 && p.order > 0 && cost() > budget_pages) {
    if (p.order > 4)
      --p.order;
    else if (p.rings > 1)
      --p.rings;
    else if (p.order > 1)
      --p.order;
    else
      p.rings = 0;
  }
  if (p.order == 0) p.rings = 0;
  return p;
}

}  // namespace xen
