// PV specifics shared by the Xen services (see pv.h).
#include "pv.h"
#include "hypercalls.h"
#include "memory/memory.h"

namespace xen {
namespace {
const start_info* pv = nullptr;
}

const start_info* pv_start_info() { return pv; }
void set_pv_start_info(const start_info* si) { pv = si; }

uint64_t gfn_of(uint64_t pfn) {
  if (!pv) return pfn;
  return reinterpret_cast<const xen_pfn_t*>(pv->mfn_list)[pfn];
}

void* pv_map_machine_frame(uint64_t mfn) {
  auto frame = kernel::frames().allocate();
  if (!frame) return nullptr;
  uint64_t va = *frame * kernel::kPageSize;
  constexpr uint64_t kPte =
      0x67;  // present, writable, user (a 64-bit PV kernel runs in ring 3), accessed, dirty
  long rc = arch::hypercall(__HYPERVISOR_update_va_mapping, va, (mfn << 12) | kPte, UVMF_INVLPG);
  if (rc != 0) return nullptr;
  return reinterpret_cast<void*>(va);
}

}  // namespace xen
