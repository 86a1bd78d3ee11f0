/* cp: copies SOURCE to DEST (a file name, or a directory to copy into). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: cp SOURCE DEST\n");
    return 2;
  }
  const char* source = argv[1];
  char dest[1024];
  struct stat st;
  if (stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)) {
    const char* base = strrchr(source, '/');
    snprintf(dest, sizeof dest, "%s/%s", argv[2], base ? base + 1 : source);
  } else {
    snprintf(dest, sizeof dest, "%s", argv[2]);
  }
  int in = open(source, O_RDONLY);
  if (in < 0) {
    fprintf(stderr, "cp: %s: %s\n", source, strerror(errno));
    return 1;
  }
  int out = open(dest, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    fprintf(stderr, "cp: %s: %s\n", dest, strerror(errno));
    return 1;
  }
  static char buffer[256 * 1024];
  long long total = 0;
  for (;;) {
    int n = read(in, buffer, sizeof buffer);
    if (n < 0) {
      fprintf(stderr, "cp: %s: %s\n", source, strerror(errno));
      return 1;
    }
    if (n == 0) break;
    if (write(out, buffer, (size_t)n) != n) {
      fprintf(stderr, "cp: %s: %s\n", dest, strerror(errno));
      return 1;
    }
    total += n;
  }
  if (close(out) != 0) {
    fprintf(stderr, "cp: %s: %s\n", dest, strerror(errno));
    return 1;
  }
  close(in);
  printf("cp: %lld bytes %s -> %s\n", total, source, dest);
  return 0;
}
