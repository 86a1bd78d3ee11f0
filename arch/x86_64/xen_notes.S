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

        note_begin XEN_ELFNOTE_PHYS32_ENTRY
        .long   _pvh_start
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
