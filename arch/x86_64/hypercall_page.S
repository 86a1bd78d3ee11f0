/* The hypercall page: Xen writes one 32-byte trampoline per hypercall here when the guest
 * writes this page's address to the MSR named by CPUID leaf base+2 (PVH), or fills it at
 * load time (PV, XEN_ELFNOTE_HYPERCALL_PAGE). Until then every slot is a ud2 trap. */
        .section .text.hypercall_page, "ax"
        .balign 4096
        .globl hypercall_page
hypercall_page:
        .rept 4096 / 2
        ud2
        .endr
