/* cat: copies each file named (or standard input) to standard output, through the namespace. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy(int fd, const char* name) {
  char buffer[64 * 1024];
  for (;;) {
    int n = read(fd, buffer, sizeof buffer);
    if (n == 0) return 0;
    if (n < 0) {
      fprintf(stderr, "cat: %s: %s\n", name, strerror(errno));
      return 1;
    }
    for (int done = 0; done < n;) {
      int w = write(1, buffer + done, (size_t)(n - done));
      if (w <= 0) {
        fprintf(stderr, "cat: write: %s\n", strerror(errno));
        return 1;
      }
      done += w;
    }
  }
}

int main(int argc, char** argv) {
  if (argc < 2) return copy(0, "stdin");
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    status |= copy(fd, argv[i]);
    close(fd);
  }
  return status;
}
