/* The hypercall page: Xen writes one 32-byte trampoline per hypercall here when the guest
 * writes this page's address to the MSR named by CPUID leaf base+2 (PVH), or fills it while it
 * builds the domain (PV, XEN_ELFNOTE_HYPERCALL_PAGE). It lives in .bss, not .text: as code it
 * cost the image 4 KiB of ud2 and up to 4 KiB more of alignment padding. Nothing in the entry
 * paths clears .bss (the loaders zero it), so Xen's PV trampolines survive; without Xen,
 * detect_hypervisor() fills it with ud2 so a stray hypercall traps at once. */
        .section .bss.boot, "aw", @nobits
        .balign 4096
        .globl hypercall_page
hypercall_page:
        .skip   4096
