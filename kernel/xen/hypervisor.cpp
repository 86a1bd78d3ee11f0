// Xen detection by CPUID and hypercall page installation through the MSR Xen names.
#include "hypervisor.h"
#include <cstring>
#include "cpu.h"
#include "hypercall.h"
#include "hypercalls.h"

namespace xen {
namespace {
Hypervisor detected;
}

const Hypervisor& detect_hypervisor() {
  // Xen may sit at a higher base when it also offers Viridian (Hyper-V) leaves at 0x40000000.
  for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
    arch::CpuidResult r = arch::cpuid(base);
    char signature[13];
    std::memcpy(signature + 0, &r.ebx, 4);
    std::memcpy(signature + 4, &r.ecx, 4);
    std::memcpy(signature + 8, &r.edx, 4);
    signature[12] = '\0';
    if (std::strcmp(signature, "XenVMMXenVMM") != 0 || r.eax - base < 2) continue;
    arch::CpuidResult pages = arch::cpuid(base + 2);  // eax: page count, ebx: MSR
    arch::wrmsr(pages.ebx, reinterpret_cast<uint64_t>(hypercall_page));
    detected.present = true;
    detected.cpuid_base = base;
    uint32_t version = arch::cpuid(base + 1).eax;
    detected.major = uint16_t(version >> 16);
    detected.minor = uint16_t(version);
    break;
  }
  if (!detected.present) {
    // No Xen: every slot becomes ud2 (0f 0b), so a hypercall made by mistake is an invalid-
    // opcode trap with a backtrace rather than a slide through zeroed memory.
    for (size_t i = 0; i + 1 < sizeof hypercall_page; i += 2) {
      hypercall_page[i] = char(0x0f);
      hypercall_page[i + 1] = char(0x0b);
    }
  }
  return detected;
}

const Hypervisor& hypervisor() { return detected; }

const Hypervisor& mark_hypervisor_pv() {
  detected.present = true;
  long version = arch::hypercall(__HYPERVISOR_xen_version, XENVER_version, 0);
  detected.major = uint16_t(version >> 16);
  detected.minor = uint16_t(version);
  return detected;
}

}  // namespace xen
