// PVH: shared_info lives wherever the guest asks Xen to put it; we give it a frame of our own
// (the RAM page behind that frame is replaced, so the frame is never returned).
#include "shared_info.h"
#include <cerrno>
#include "hypercalls.h"
#include "log.h"
#include "memory/memory.h"
#include "pv.h"

namespace xen {
namespace {
shared_info* page = nullptr;
}

void set_shared_info(shared_info* p) { page = p; }

xenos::Result<void> shared_info_init() {
  if (pv_start_info()) {  // PV: mapped by the boot path (boot/pv_boot.cpp)
    if (!page) return xenos::Error{ENODEV, "shared_info: not mapped (PV)"};
    return {};
  }
  auto frame = kernel::frames().allocate();
  if (!frame) return xenos::Error{ENOMEM, "shared_info: no free frame"};
  long rc = add_to_physmap(XENMAPSPACE_shared_info, 0, *frame);
  if (rc != 0) return xenos::Error{int(-rc), "shared_info: XENMEM_add_to_physmap refused"};
  page = reinterpret_cast<shared_info*>(*frame * kernel::kPageSize);
  return {};
}

shared_info* shared() { return page; }
vcpu_info* vcpu0() { return &page->vcpu_info[0]; }

}  // namespace xen
