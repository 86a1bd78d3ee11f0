// Xen's shared_info page (event channel bitmaps, time, wall clock) and this vCPU's vcpu_info.
#pragma once
#include "xen_headers.h"
#include "xenos/result.h"

namespace xen {

xenos::Result<void> shared_info_init();  // PVH: XENMEM_add_to_physmap(XENMAPSPACE_shared_info)
shared_info* shared();
void set_shared_info(shared_info* page);  // PV: the boot path maps it before anything else
vcpu_info* vcpu0();

}  // namespace xen
