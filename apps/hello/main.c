/* The demo app: shows that the kernel booted, passed the command line and set up memory. */
#include <stdio.h>
#include <stdlib.h>
#include <xenos/system.h>

static const char* constructed = "no";
__attribute__((constructor)) static void run_before_main(void) { constructed = "yes"; }

int main(int argc, char** argv) {
  printf("Hello from xenos on %s!\n", xenos_platform());
  printf("global constructors ran: %s\n", constructed);
  for (int i = 0; i < argc; ++i) printf("argv[%d] = \"%s\"\n", i, argv[i]);
  struct xenos_memory_info mem;
  xenos_memory_info(&mem);
  FILE* motd = fopen("motd", "r"); /* from the 9P share, when `make run` gives one */
  if (motd) {
    char line[200];
    while (fgets(line, sizeof line, motd)) printf("motd: %s", line);
    fclose(motd);
  }
  printf("memory: %llu KiB RAM, %llu KiB free, heap %llu KiB\n", (unsigned long long)(mem.ram_bytes / 1024),
         (unsigned long long)(mem.free_bytes / 1024), (unsigned long long)(mem.heap_bytes / 1024));
  return 0;
}
