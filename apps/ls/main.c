/* ls: lists directories recursively with sizes ("-R" is implied for every argument).
 * Output: one line per entry, "SIZE PATH", directories with a trailing '/'. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int list(const char* path) {
  DIR* d = opendir(path);
  if (!d) {
    fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
    return 1;
  }
  int status = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    char* child = malloc(len);
    snprintf(child, len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
    struct stat st;
    if (stat(child, &st) != 0) {
      fprintf(stderr, "ls: %s: %s\n", child, strerror(errno));
      status = 1;
    } else if (S_ISDIR(st.st_mode)) {
      printf("%10s %s/\n", "-", child);
      status |= list(child);
    } else {
      printf("%10lld %s\n", (long long)st.st_size, child);
    }
    free(child);
  }
  closedir(d);
  return status;
}

int main(int argc, char** argv) {
  if (argc < 2) return list(".");
  int status = 0;
  for (int i = 1; i < argc; ++i) status |= list(argv[i]);
  return status;
}
