// Finding xenstore's ring and event channel: PV's start_info names the page by machine frame,
// PVH's HVM params by pseudo-physical frame. The client itself is xenstore.cpp.
#include <cerrno>
#include "hypercalls.h"
#include "pv.h"
#include "xen_headers.h"
#include "xenstore.h"

namespace xen {

xenos::Result<void> xenstore_init() {
  uint64_t pfn = 0, port = 0;
  xenstore_domain_interface* ring;
  if (const start_info* si = pv_start_info()) {
    port = si->store_evtchn;
    ring = static_cast<xenstore_domain_interface*>(pv_map_machine_frame(si->store_mfn));
    if (!ring) return xenos::Error{ENOMEM, "xenstore: cannot map the ring (PV)"};
  } else {
    if (get_hvm_param(HVM_PARAM_STORE_PFN, &pfn) != 0 || pfn == 0)
      return xenos::Error{ENODEV, "xenstore: no HVM_PARAM_STORE_PFN"};
    if (get_hvm_param(HVM_PARAM_STORE_EVTCHN, &port) != 0)
      return xenos::Error{ENODEV, "xenstore: no HVM_PARAM_STORE_EVTCHN"};
    ring = reinterpret_cast<xenstore_domain_interface*>(pfn * 4096);
  }
  return xenstore_connect(ring, uint32_t(port));
}

}  // namespace xen
