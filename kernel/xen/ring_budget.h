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

// The memory one share's rings may take when nobody says otherwise: a quarter of what is free
// when it is mounted. The namespace gives each share it mounts this budget
// (xenos::ninep::Options::ring_budget_bytes); a share opened directly gets it too.
constexpr uint64_t kRingBudgetShare = 4;
constexpr uint64_t default_ring_budget(uint64_t free_bytes) { return free_bytes / kRingBudgetShare; }

// Each ring costs one interface page plus 2^order data pages; together they stay within
// `budget_bytes`. Cutting order: the order goes first, down to 4 (16 pages: 32 KiB each way),
// then the rings down to one, then the order down to 1. Order first, because a guest's ring
// count then stays what the backend offers from one mount to the next while its free memory
// drifts (a remount gets the same rings as the boot did; faulttest's leak check counts on it),
// and because requests on more rings overlap, while a lower order only splits big transfers.
RingPlan plan_rings(unsigned offered_rings, unsigned max_order, uint64_t budget_bytes);

}  // namespace xen
