/* PVH entry: Xen (or QEMU -kernel) starts us here in 32-bit protected mode, paging off,
 * %ebx = physical address of struct hvm_start_info (xen/arch-x86/hvm/start_info.h).
 * We build identity page tables for the low 4 GiB, enter long mode and call
 * pvh_main(start_info). Nothing here touches memory above the image. */
#include "boot_layout.h"

        .section .text.boot, "ax"
        .code32
        .globl _pvh_start
_pvh_start:
        cli
        cld
        movl    %ebx, %edi                      /* start_info, kept for pvh_main's first argument */
        movl    $boot_stack_top, %esp

        /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; each PD maps 1 GiB with 2 MiB pages. */
        movl    $boot_pdpt + PTE_PRESENT_RW, boot_pml4
        movl    $boot_pd + PTE_PRESENT_RW, %eax
        xorl    %ecx, %ecx
1:      movl    %eax, boot_pdpt(,%ecx,8)
        addl    $4096, %eax
        incl    %ecx
        cmpl    $4, %ecx
        jne     1b
        movl    $PTE_PRESENT_RW_LARGE, %eax
        xorl    %ecx, %ecx
2:      movl    %eax, boot_pd(,%ecx,8)
        addl    $0x200000, %eax
        incl    %ecx
        cmpl    $2048, %ecx
        jne     2b

        /* CR4: PAE for long mode, OSFXSR/OSXMMEXCPT because newlib and libm use SSE. */
        movl    %cr4, %eax
        orl     $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
        movl    %eax, %cr4
        movl    $boot_pml4, %eax
        movl    %eax, %cr3
        movl    $MSR_EFER, %ecx
        rdmsr
        orl     $EFER_LME, %eax
        wrmsr
        /* CR0: paging on, FPU native (MP set, EM clear). */
        movl    %cr0, %eax
        orl     $(CR0_PG | CR0_MP), %eax
        andl    $~CR0_EM, %eax
        movl    %eax, %cr0

        lgdt    boot_gdt_descriptor
        ljmp    $GDT_KERNEL_CODE, $long_mode_entry

        .code64
long_mode_entry:
        movl    $GDT_KERNEL_DATA, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        xorl    %eax, %eax
        movl    %eax, %fs
        movl    %eax, %gs
        movq    $boot_stack_top, %rsp
        xorl    %ebp, %ebp                      /* ends the frame-pointer chain for backtraces */
        movl    %edi, %edi                      /* zero-extend the start_info address */
        call    pvh_main
3:      hlt
        jmp     3b

        .section .rodata.boot, "a"
        .balign 8
boot_gdt:
        .quad   0                               /* null */
        .quad   0x00af9a000000ffff              /* 0x08: 64-bit code, DPL 0 */
        .quad   0x00cf92000000ffff              /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_descriptor:
        .word   boot_gdt_end - boot_gdt - 1
        .quad   boot_gdt

        .section .bss.boot, "aw", @nobits
        .balign 4096
boot_pml4:      .skip 4096
boot_pdpt:      .skip 4096
boot_pd:        .skip 4 * 4096
        .globl boot_stack_top
boot_stack:     .skip BOOT_STACK_SIZE
boot_stack_top:
