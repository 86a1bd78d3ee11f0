/* Crashes (or hangs) on purpose, in the way argv[1] names, so tests can check what a crash
 * looks like: page-fault (default), invalid-opcode, abort, exit3, hang, reboot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenos/system.h>

/* noinline so the report names this function. (Its caller may be missing from the backtrace:
 * GCC can schedule the frame setup after the faulting store; see kernel/symbols.cpp.) */
__attribute__((noinline)) static void write_to_unmapped_memory(void) {
  volatile unsigned long* beyond_identity_map = (volatile unsigned long*)(64ULL << 30);
  *beyond_identity_map = 42;
  puts("faulty: the write did not fault");
}

__attribute__((noinline)) static void execute_invalid_opcode(void) { __builtin_trap(); }

int main(int argc, char** argv) {
  const char* how = argc > 1 ? argv[1] : "page-fault";
  printf("faulty: about to crash by %s\n", how);
  fflush(stdout);
  if (strcmp(how, "page-fault") == 0)
    write_to_unmapped_memory();
  else if (strcmp(how, "invalid-opcode") == 0)
    execute_invalid_opcode();
  else if (strcmp(how, "abort") == 0)
    abort();
  else if (strcmp(how, "exit3") == 0)
    return 3;
  else if (strcmp(how, "hang") == 0)
    for (;;) __asm__ volatile("pause");
  else if (strcmp(how, "reboot") == 0)
    xenos_reboot();
  printf("faulty: unknown way to crash: %s\n", how);
  return 1;
}
