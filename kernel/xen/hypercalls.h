// Typed hypercall wrappers: call sites name the operation, never a raw number.
#pragma once
#include <cstdint>
#include "hypercall.h"
#include "xen_headers.h"

namespace xen {

inline long sched_op(int cmd, void* arg) {
  return arch::hypercall(__HYPERVISOR_sched_op, uint64_t(cmd), reinterpret_cast<uint64_t>(arg));
}

inline long memory_op(unsigned cmd, void* arg) {
  return arch::hypercall(__HYPERVISOR_memory_op, cmd, reinterpret_cast<uint64_t>(arg));
}

inline long shutdown(unsigned reason) {
  sched_shutdown_t request{reason};
  return sched_op(SCHEDOP_shutdown, &request);
}

}  // namespace xen
