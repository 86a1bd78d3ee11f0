/* iobench: the file calls an application makes, timed on a 9P share. One source for both sides
 * of make bench: built with the SDK it is our guest's, built with the host's gcc -static it runs
 * in the Linux PV domU on the same share (tests/xen/linux-domu-init). Plain POSIX and stdio.
 *
 *   iobench DIR      (a folder on the share; it leaves nothing behind)
 *
 * Prints "# bench {...}" (one JSON line) and "1 passed, 0 failed", or "0 passed, 1 failed" and
 * why. On xenos each measured call is also counted in 9P requests and notifications
 * (xenos_9p_traffic): round_trips_X is requests per call. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __xenos__
#include <xenos/system.h>
#endif

#define MIB (1024u * 1024u)
enum { kBig = 16 * MIB, kOps = 200, kFolderEntries = 1000 };

static char dir[512];
static char json[8192];
static size_t json_len;

static void fail(const char* what, const char* path) {
  printf("# iobench: %s %s: %s\n0 passed, 1 failed\n", what, path ? path : "", strerror(errno));
  exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void field(const char* name, const char* format, double value) {
  char number[64];
  snprintf(number, sizeof number, format, value);
  json_len += (size_t)snprintf(json + json_len, sizeof json - json_len, "%s\"%s\": %s",
                               json_len > 1 ? ", " : "", name, number);
}

/* The 9P requests and notifications around one measured stretch (none outside xenos). */
struct traffic {
  double requests, notifications;
};
static struct traffic traffic_now(void) {
  struct traffic t = {0, 0};
#ifdef __xenos__
  struct xenos_9p_traffic x;
  xenos_9p_traffic(&x);
  t.requests = (double)x.requests;
  t.notifications = (double)(x.notifications + x.events);
#endif
  return t;
}
static void per_call(const char* name, struct traffic before, unsigned calls) {
#ifdef __xenos__
  struct traffic after = traffic_now();
  char key[96];
  snprintf(key, sizeof key, "round_trips_%s", name);
  field(key, "%.2f", (after.requests - before.requests) / calls);
  snprintf(key, sizeof key, "notifications_%s", name);
  field(key, "%.2f", (after.notifications - before.notifications) / calls);
#else
  (void)name, (void)before, (void)calls;
#endif
}

static char* path(const char* name) {
  static char buf[2][600];
  static int which;
  which ^= 1;
  snprintf(buf[which], sizeof buf[which], "%s/%s", dir, name);
  return buf[which];
}

static void write_all(int fd, const char* buf, size_t size, const char* what) {
  ssize_t n = write(fd, buf, size);
  if (n != (ssize_t)size) fail(what, n < 0 ? "" : "(short)");
}

/* 16 MiB written, then read back, in calls of `size` bytes: MiB/s each way. */
static void transfer(const char* file, char* buf, size_t size, double* write_mib_s, double* read_mib_s) {
  int fd = open(file, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) fail("create", file);
  double t0 = now_s();
  for (size_t off = 0; off < kBig; off += size) write_all(fd, buf, size, "write");
  double t1 = now_s();
  close(fd);
  fd = open(file, O_RDONLY);
  if (fd < 0) fail("open", file);
  double t2 = now_s();
  for (size_t off = 0; off < kBig; off += size)
    if (read(fd, buf, size) != (ssize_t)size) fail("read", file);
  double t3 = now_s();
  close(fd);
  *write_mib_s = kBig / (double)MIB / (t1 - t0);
  *read_mib_s = kBig / (double)MIB / (t3 - t2);
}

int main(int argc, char** argv) {
  snprintf(dir, sizeof dir, "%s/iobench.%ld", argc > 1 ? argv[1] : ".", (long)getpid());
  if (mkdir(dir, 0755) != 0) fail("mkdir", dir);
  char* buf = malloc(4 * MIB);
  if (!buf) fail("malloc", "4 MiB");
  memset(buf, 0x5a, 4 * MIB);
  json[0] = '{';
  json_len = 1;
  const char* big = path("big.bin");

  /* Large sequential transfers by call size: 4 KiB to 4 MiB. */
  double w, r;
  transfer(big, buf, MIB, &w, &r);
  field("posix_write_16MiB_1MiB_mib_s", "%.1f", w);
  field("posix_read_16MiB_1MiB_mib_s", "%.1f", r);
  static const size_t sizes[] = {4096, 16384, 65536, 262144, 4 * MIB};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    char key[64];
    transfer(big, buf, sizes[i], &w, &r);
    snprintf(key, sizeof key, "posix_write_16MiB_%zuKiB_mib_s", sizes[i] / 1024);
    field(key, "%.1f", w);
    snprintf(key, sizeof key, "posix_read_16MiB_%zuKiB_mib_s", sizes[i] / 1024);
    field(key, "%.1f", r);
  }

  /* stdio with its own buffer size, 1 KiB per call, as fread/fgets/ifstream programs do. */
  FILE* f = fopen(big, "r");
  if (!f) fail("fopen", big);
  double t0 = now_s();
  size_t total = 0, n;
  while ((n = fread(buf, 1, 1024, f)) > 0) total += n;
  double t1 = now_s();
  fclose(f);
  if (total != kBig) fail("fread: short", big);
  field("fread_1KiB_16MiB_mib_s", "%.1f", kBig / (double)MIB / (t1 - t0));

  /* 4 KiB at a time on an open file, and fstat of it: the cheapest call that must cross. */
  int fd = open(big, O_RDWR);
  if (fd < 0) fail("open", big);
  struct traffic before = traffic_now();
  t0 = now_s();
  for (int i = 0; i < kOps; ++i)
    if (pwrite(fd, buf, 4096, (off_t)i * 4096) != 4096) fail("pwrite", big);
  t1 = now_s();
  field("posix_write_4KiB_ms_per_op", "%.3f", (t1 - t0) * 1000 / kOps);
  per_call("write_4KiB", before, kOps);
  before = traffic_now();
  t0 = now_s();
  for (int i = 0; i < kOps; ++i)
    if (pread(fd, buf, 4096, (off_t)i * 4096) != 4096) fail("pread", big);
  t1 = now_s();
  field("posix_read_4KiB_ms_per_op", "%.3f", (t1 - t0) * 1000 / kOps);
  per_call("read_4KiB", before, kOps);
  struct stat st;
  before = traffic_now();
  t0 = now_s();
  for (int i = 0; i < kOps; ++i)
    if (fstat(fd, &st) != 0) fail("fstat", big);
  t1 = now_s();
  field("fstat_ms_per_op", "%.3f", (t1 - t0) * 1000 / kOps);
  per_call("fstat", before, kOps);
  field("st_blksize", "%.0f", (double)st.st_blksize);
  close(fd);

  /* By name: stat, and open + read 4 KiB + close. */
  before = traffic_now();
  t0 = now_s();
  for (int i = 0; i < kOps; ++i)
    if (stat(big, &st) != 0) fail("stat", big);
  t1 = now_s();
  field("stat_per_s", "%.0f", kOps / (t1 - t0));
  per_call("stat", before, kOps);
  before = traffic_now();
  t0 = now_s();
  for (int i = 0; i < kOps; ++i) {
    fd = open(big, O_RDONLY);
    if (fd < 0) fail("open", big);
    if (read(fd, buf, 4096) != 4096) fail("read", big);
    close(fd);
  }
  t1 = now_s();
  field("open_read4k_close_per_s", "%.0f", kOps / (t1 - t0));
  per_call("open_read4k_close", before, kOps);
  if (unlink(big) != 0) fail("unlink", big);

  /* ls -l of a folder of 1,000 files: the listing, then lstat of every entry. */
  const char* folder = path("folder");
  if (mkdir(folder, 0755) != 0) fail("mkdir", folder);
  char name[700];
  for (int i = 0; i < kFolderEntries; ++i) {
    snprintf(name, sizeof name, "%s/entry-%04d", folder, i);
    fd = open(name, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) fail("create", name);
    close(fd);
  }
  before = traffic_now();
  t0 = now_s();
  DIR* d = opendir(folder);
  if (!d) fail("opendir", folder);
  int listed = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(name, sizeof name, "%s/%s", folder, e->d_name);
    if (lstat(name, &st) != 0) fail("lstat", name);
    ++listed;
  }
  closedir(d);
  t1 = now_s();
  if (listed != kFolderEntries) {
    errno = EIO;
    fail("ls -l: wrong count in", folder);
  }
  field("ls_l_1000_s", "%.3f", t1 - t0);
  per_call("ls_l_1000", before, 1);
  for (int i = 0; i < kFolderEntries; ++i) {
    snprintf(name, sizeof name, "%s/entry-%04d", folder, i);
    if (unlink(name) != 0) fail("unlink", name);
  }
  if (rmdir(folder) != 0) fail("rmdir", folder);
  if (rmdir(dir) != 0) fail("rmdir", dir);
  free(buf);
  printf("# bench %s}\n1 passed, 0 failed\n", json);
  return 0;
}
