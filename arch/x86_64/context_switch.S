/* Cooperative context switch. Only what the SysV ABI makes callee-saved survives a call, so
 * that is all a switch at a call boundary must keep: rbx, rbp, r12-r15, MXCSR and the x87
 * control word. (Interrupt entry saves everything else itself.)
 *   void arch_switch_context(uint64_t* save_rsp, uint64_t load_rsp)
 *   arch_thread_start: where a new thread's first switch returns to */
        .text
        .globl arch_switch_context
arch_switch_context:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret

        .globl arch_thread_start
arch_thread_start:
        xorl    %ebp, %ebp                      /* the backtrace of a thread ends here */
        call    kernel_thread_entry             /* never returns */
        ud2

        .section .note.GNU-stack, "", @progbits /* the stack is not executable (host tests link this) */
