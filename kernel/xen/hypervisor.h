// Finding Xen: CPUID leaves 0x40000000 + n*0x100 carry "XenVMMXenVMM"; leaf base+2 names the
// MSR that installs the hypercall page. On bare QEMU there is no Xen and nothing is installed.
#pragma once
#include <cstdint>

namespace xen {

struct Hypervisor {
  bool present = false;
  uint32_t cpuid_base = 0;
  uint16_t major = 0, minor = 0;
};

// Detects Xen and, when found, installs the hypercall page. Safe to call once at boot.
const Hypervisor& detect_hypervisor();
const Hypervisor& hypervisor();
// PV: we are on Xen by construction (CPUID may not show it); the hypercall page is filled.
const Hypervisor& mark_hypervisor_pv();

}  // namespace xen
