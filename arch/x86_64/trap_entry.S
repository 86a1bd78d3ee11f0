/* Trap entry stubs for the 32 CPU exception vectors. Each stub makes the stack look the same
 * (an error code is pushed where the CPU does not push one), saves the general registers
 * into an arch::TrapFrame (trap.h) and calls arch_trap_dispatch(frame). */
#include "boot_layout.h"
#include "registers.inc"

.macro trap_stub vector, has_error_code
        .globl trap_stub_\vector
trap_stub_\vector:
.if \has_error_code == 0
        pushq   $0
.endif
        pushq   $\vector
        jmp     trap_common
.endm

        .text
        trap_stub 0, 0
        trap_stub 1, 0
        trap_stub 2, 0
        trap_stub 3, 0
        trap_stub 4, 0
        trap_stub 5, 0
        trap_stub 6, 0
        trap_stub 7, 0
        trap_stub 8, 1
        trap_stub 9, 0
        trap_stub 10, 1
        trap_stub 11, 1
        trap_stub 12, 1
        trap_stub 13, 1
        trap_stub 14, 1
        trap_stub 15, 0
        trap_stub 16, 0
        trap_stub 17, 1
        trap_stub 18, 0
        trap_stub 19, 0
        trap_stub 20, 0
        trap_stub 21, 1
        trap_stub 22, 0
        trap_stub 23, 0
        trap_stub 24, 0
        trap_stub 25, 0
        trap_stub 26, 0
        trap_stub 27, 0
        trap_stub 28, 0
        trap_stub 29, 1
        trap_stub 30, 1
        trap_stub 31, 0

trap_common:
        push_all_gprs
        movq    %rsp, %rdi
        movq    %rsp, %rbx                      /* callee-saved: the frame, after realignment */
        andq    $-16, %rsp                      /* SysV ABI: 16-byte aligned at the call */
        call    arch_trap_dispatch
        movq    %rbx, %rsp
        pop_all_gprs
        addq    $16, %rsp                       /* vector and error code */
        iretq

        .section .rodata
        .balign 8
        .globl trap_stub_table
trap_stub_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   trap_stub_\v
.endr
