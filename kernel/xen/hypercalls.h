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

namespace xen {

inline long event_channel_op(int cmd, void* arg) {
  return arch::hypercall(__HYPERVISOR_event_channel_op, uint64_t(cmd), reinterpret_cast<uint64_t>(arg));
}
inline long hvm_op(unsigned cmd, void* arg) {
  return arch::hypercall(__HYPERVISOR_hvm_op, cmd, reinterpret_cast<uint64_t>(arg));
}
inline long vcpu_op(int cmd, unsigned vcpu, void* arg) {
  return arch::hypercall(__HYPERVISOR_vcpu_op, uint64_t(cmd), vcpu, reinterpret_cast<uint64_t>(arg));
}
inline long grant_table_op(unsigned cmd, void* arg, unsigned count) {
  return arch::hypercall(__HYPERVISOR_grant_table_op, cmd, reinterpret_cast<uint64_t>(arg), count);
}

inline long get_hvm_param(uint32_t index, uint64_t* value) {
  xen_hvm_param_t p{};
  p.domid = DOMID_SELF;
  p.index = index;
  long rc = hvm_op(HVMOP_get_param, &p);
  *value = p.value;
  return rc;
}
inline long set_hvm_param(uint32_t index, uint64_t value) {
  xen_hvm_param_t p{};
  p.domid = DOMID_SELF;
  p.index = index;
  p.value = value;
  return hvm_op(HVMOP_set_param, &p);
}

// Puts Xen's page `space`/`index` (shared_info, a grant frame) at guest frame `gpfn`.
inline long add_to_physmap(unsigned space, uint64_t index, uint64_t gpfn) {
  xen_add_to_physmap_t map{};
  map.domid = DOMID_SELF;
  map.space = space;
  map.idx = index;
  map.gpfn = gpfn;
  return memory_op(XENMEM_add_to_physmap, &map);
}

}  // namespace xen
