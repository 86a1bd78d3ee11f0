// The PV side of interrupt control (cpu.h): events are masked in vcpu_info, not with IF.
#include "cpu.h"
#include "hypercall.h"

namespace arch {

volatile uint8_t* pv_vcpu_event_bytes = nullptr;

namespace {
constexpr unsigned kHypercallXenVersion = 17;  // __HYPERVISOR_xen_version
constexpr unsigned kHypercallSchedOp = 29;     // __HYPERVISOR_sched_op
constexpr unsigned kSchedOpBlock = 1;          // SCHEDOP_block
}  // namespace

long pv_force_event_delivery() { return hypercall(kHypercallXenVersion, 0, 0); }
long pv_block() { return hypercall(kHypercallSchedOp, kSchedOpBlock, 0); }

}  // namespace arch
