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
  char* copy = malloc(1 << 20);
  if (!copy) return 2;
  memset(copy, 'x', 1 << 20);
  struct mallinfo with = mallinfo();
  printf("greeter: 1 MiB from malloc, last byte %c, %.2f\n", copy[(1 << 20) - 1], 1.0 / 8);
  free(copy);
  /* mallinfo's counts are the allocator's own: the 1 MiB shows, and is gone after free. */
  int counted = with.uordblks >= in_use + (1 << 20) && with.uordblks <= with.arena;
  printf("greeter: mallinfo %s\n", counted && mallinfo().uordblks == in_use ? "counts it" : "is wrong");
  int numbers[] = {3, 1, 2};
  qsort(numbers, 3, sizeof numbers[0], compare);
  printf("greeter: sorted %d %d %d\n", numbers[0], numbers[1], numbers[2]);
  return argc > 2 ? atoi(argv[2]) : 0;
}
