/* Xen ELF notes (xen/elfnote.h). They live in .note.Xen, which the linker script puts in its
 * own 4-byte-aligned PT_NOTE segment: QEMU rejects the PVH note if the segment is 8-aligned. */
#include <xen/elfnote.h>

.macro note_begin type
        .section .note.Xen, "a", @note
        .balign 4
        .long   2f - 1f                         /* namesz */
        .long   4f - 3f                         /* descsz */
        .long   \type
1:      .asciz  "Xen"
2:      .balign 4
3:
.endm
.macro note_end
4:      .balign 4
.endm

        /* PVH: the 32-bit physical entry. */
        note_begin XEN_ELFNOTE_PHYS32_ENTRY
        .long   _pvh_start
        note_end
        /* PV: a 64-bit entry with the image mapped at its link addresses (virtual ==
         * pseudo-physical: VIRT_BASE and PADDR_OFFSET 0), and a hypercall page Xen fills. */
        note_begin XEN_ELFNOTE_ENTRY
        .quad   _pv_start
        note_end
        note_begin XEN_ELFNOTE_HYPERCALL_PAGE
        .quad   hypercall_page
        note_end
        note_begin XEN_ELFNOTE_VIRT_BASE
        .quad   0
        note_end
        note_begin XEN_ELFNOTE_PADDR_OFFSET
        .quad   0
        note_end
        note_begin XEN_ELFNOTE_LOADER
        .asciz  "generic"
        note_end
        note_begin XEN_ELFNOTE_GUEST_OS
        .asciz  "xenos"
        note_end
        note_begin XEN_ELFNOTE_GUEST_VERSION
        .asciz  "0.1"
        note_end
        note_begin XEN_ELFNOTE_XEN_VERSION
        .asciz  "xen-3.0"
        note_end
