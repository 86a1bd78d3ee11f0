/* Entry for asynchronous interrupts (the Xen event-channel upcall vector). Unlike a trap it
 * can land anywhere, in the middle of code using SSE registers, so it saves the full FPU/SSE
 * state (fxsave) as well as every general register before calling into C++.
 *   arch_upcall_entry -> arch_upcall_handler() (set by install_upcall_vector) */
        .text
        .globl arch_upcall_entry
arch_upcall_entry:
        pushq   %rax
        pushq   %rbx
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %rbp
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, %rbx
        subq    $512, %rsp
        andq    $-64, %rsp                      /* fxsave area: 16-aligned; the call: 16-aligned */
        fxsave  (%rsp)
        call    *arch_upcall_handler(%rip)
        fxrstor (%rsp)
        movq    %rbx, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rbp
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rbx
        popq    %rax
        iretq
