// How many 9pfs rings of which order a share gets: as many as the backend offers, up to the
// order it allows, within a memory budget, so a small guest still mounts its shares (and keeps
// memory for the app) while a large one gets every ring. Pure logic, unit-tested on the host.
#pragma once
#include <cstdint>

namespace xen {

struct RingPlan {
  unsigned rings = 0;  // 0: not even one ring of order 1 fits the budget
  unsigned order = 0;  // 2^order data pages per ring
};

// Each ring costs one interface page plus 2^order data pages. The rings of one share may take a
// quarter of the memory free when it is mounted. Cutting order: rings go first down to two (two
// rings still overlap requests), then the order down to 4 (16 pages: 32 KiB each way), then the
// rings to one, then the order to 1.
constexpr uint64_t kRingBudgetShare = 4;
RingPlan plan_rings(unsigned offered_rings, unsigned max_order, uint64_t free_bytes);

}  // namespace xen
