/* Entry for asynchronous interrupts (the Xen event-channel upcall vector). Unlike a trap it
 * can land anywhere, in the middle of code using SSE registers, so it saves the full FPU/SSE
 * state (fxsave) as well as every general register before calling into C++.
 *   arch_upcall_entry -> arch_upcall_handler() (set by install_upcall_vector) */
#include "registers.inc"

        .text
        .globl arch_upcall_entry
arch_upcall_entry:
        push_all_gprs
        movq    %rsp, %rbx
        subq    $512, %rsp
        andq    $-64, %rsp                      /* fxsave area: 16-aligned; the call: 16-aligned */
        fxsave  (%rsp)
        call    *arch_upcall_handler(%rip)
        fxrstor (%rsp)
        movq    %rbx, %rsp
        pop_all_gprs
        iretq
