/* PV entry points. Xen starts a 64-bit PV guest here in long mode, paging on (its own initial
 * page tables map the image and the boot data at their pseudo-physical addresses), with
 * %rsi = start_info. Events arrive at arch_pv_event_entry, exceptions at the pv_trap_stub_N. */
#include "registers.inc"

        .text
        .globl _pv_start
_pv_start:
        cld
        movq    $boot_stack_top, %rsp
        movq    %rsi, %rdi                      /* start_info, pv_main's argument */
        xorl    %ebp, %ebp
        call    pv_main
1:      jmp     1b                              /* pv_main does not return; hlt would #GP here */

/* A 64-bit PV bounce frame has %rcx and %r11 on top (Xen used them), then the error code if
 * the exception has one, then rip, cs, rflags, rsp, ss: restore those two and the frame is the
 * hardware's, so the ordinary trap stubs take over. Exceptions are fatal, so none returns. */
.macro pv_trap_stub vector
pv_trap_stub_\vector:
        popq    %rcx
        popq    %r11
        jmp     trap_stub_\vector
.endm
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        pv_trap_stub \v
.endr

/* Event callback: Xen has masked events (CALLBACKF_mask_events). Save everything, run the
 * upcall handler, restore, and return with HYPERVISOR_iret: its hypercall-page stub pushes
 * rcx, r11 and rax itself, so we leave flags (0) on top of the rip/cs/rflags/rsp/ss frame.
 * iret unmasks events again if the interrupted code had them unmasked (its saved IF). */
        .globl arch_pv_event_entry
arch_pv_event_entry:
        popq    %rcx
        popq    %r11
        push_all_gprs
        movq    %rsp, %rbx
        subq    $512, %rsp
        andq    $-64, %rsp
        fxsave  (%rsp)
        call    *arch_upcall_handler(%rip)
        fxrstor (%rsp)
        movq    %rbx, %rsp
        pop_all_gprs
        pushq   $0
        jmp     hypercall_page + 23 * 32        /* __HYPERVISOR_iret */

/* Failsafe callback: Xen could not return to us (a bad segment on iret). Nothing to repair. */
        .globl arch_pv_failsafe_entry
arch_pv_failsafe_entry:
        call    arch_pv_failsafe
1:      jmp     1b

        .section .rodata
        .balign 8
        .globl pv_trap_stub_table
pv_trap_stub_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   pv_trap_stub_\v
.endr
