/* An out-of-tree C app: argv, stdio, malloc, qsort, the exit status. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "greet.h"

static int compare(const void* a, const void* b) { return *(const int*)a - *(const int*)b; }

int main(int argc, char** argv) {
  char line[64];
  greet(argc > 1 ? argv[1] : "nobody", line, sizeof line);
  printf("greeter: %s\n", line);
  size_t in_use = mallinfo().uordblks;
  char *copy = malloc(1 << 20);
  if (!copy) return 2;
  memset(copy, 'x', 1 << 20);
  char last = copy[(1 << 20) - 1];
  struct mallinfo with = mallinfo();
  free(copy);
  size_t after = mallinfo().uordblks;  /* before printf: its %f keeps dtoa's buffers for good */
  printf("greeter: 1 MiB from malloc, last byte %c, %.2f\n", last, 1.0 / 8);
  /* mallinfo's counts are the allocator's own: the 1 MiB shows, and is gone after free. */
  int counted = with.uordblks >= in_use + (1 << 20) && with.uordblks <= with.arena && after == in_use;
  printf("greeter: mallinfo %s (%zu, %zu with the MiB, %zu after)\n", counted ? "counts it" : "is wrong",
         in_use, (size_t)with.uordblks, after);
  int numbers[] = {3, 1, 2};
  qsort(numbers, 3, sizeof numbers[0], compare);
  printf("greeter: sorted %d %d %d\n", numbers[0], numbers[1], numbers[2]);
  return argc > 2 ? atoi(argv[2]) : 0;
}
