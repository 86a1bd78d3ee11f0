/* fsx.c: a file-data exerciser after the idea of fsx (Apple's, then Linux's LTP and fstests):
 * random writes, reads, truncations, syncs and reopens of one file, every read checked
 * against a copy kept in memory. Written for this project (tests/conformance): the same idea,
 * not their code.
 *
 *   fsx [-N OPS] [-S SEED] [-l MAXLEN] [-o MAXOP] [-a] FILE
 *
 * -N how many operations (default 10000); -S the seed (0: from the clock; printed either way,
 * so a failure can be run again); -l the largest the file grows (default 256 KiB); -o the
 * largest read or write (default 64 KiB); -a also open a second descriptor with O_APPEND and
 * append through it. Exit 0 when every check held; otherwise 1, with the last operations
 * and the first differing byte on stderr. No mmap: Linux's v9fs without a cache maps files
 * read-only, so shared writable maps are not what a 9P mount offers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum op_kind { OP_WRITE, OP_READ, OP_TRUNCATE, OP_FSYNC, OP_REOPEN, OP_APPEND, OP_CHECK_ALL };
static const char *const op_names[] = {"write", "read", "truncate", "fsync", "reopen", "append", "check"};

struct op {
  long number;
  enum op_kind kind;
  long offset, length;
};

#define HISTORY 32
static struct op history[HISTORY];
static long ops_done;

static const char *path;
static int fd = -1, append_fd = -1;
static unsigned char *model, *buffer;  /* what the file must hold; scratch for reads */
static long model_size, max_len, max_op;
static uint64_t rng_state;

static uint64_t next_random(void) {  /* xorshift64*: fast, and the same sequence for a seed */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}
static long random_below(long n) { return n <= 0 ? 0 : (long)(next_random() % (uint64_t)n); }

static void record(enum op_kind kind, long offset, long length) {
  struct op *o = &history[ops_done % HISTORY];
  o->number = ops_done;
  o->kind = kind;
  o->offset = offset;
  o->length = length;
}

static void fail(const char *format, ...) {
  va_list ap;
  fprintf(stderr, "fsx: %s: ", path);
  va_start(ap, format);
  vfprintf(stderr, format, ap);
  va_end(ap);
  fprintf(stderr, "\nfsx: the last operations (number kind offset length):\n");
  long first = ops_done >= HISTORY ? ops_done - HISTORY + 1 : 0;
  for (long n = first; n <= ops_done; n++) {
    const struct op *o = &history[n % HISTORY];
    fprintf(stderr, "fsx:   %ld %s %ld %ld\n", o->number, op_names[o->kind], o->offset, o->length);
  }
  exit(1);
}

static void full_pwrite(int to, const unsigned char *from, long length, long offset) {
  while (length > 0) {
    ssize_t n = pwrite(to, from, (size_t)length, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("pwrite of %ld bytes at %ld: %s", length, offset, n < 0 ? strerror(errno) : "wrote 0");
    from += n;
    offset += n;
    length -= n;
  }
}

static void check_range(long offset, long length) {
  long got = 0;
  while (got < length) {
    ssize_t n = pread(fd, buffer + got, (size_t)(length - got), offset + got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("pread of %ld bytes at %ld: %s", length - got, offset + got, strerror(errno));
    if (n == 0) break;
    got += n;
  }
  long expected = offset >= model_size ? 0 : (offset + length > model_size ? model_size - offset : length);
  if (got != expected) fail("read %ld bytes at %ld, expected %ld (file size %ld)", got, offset, expected, model_size);
  for (long i = 0; i < got; i++)
    if (buffer[i] != model[offset + i])
      fail("byte %ld is 0x%02x, expected 0x%02x", offset + i, buffer[i], model[offset + i]);
}

static void check_size(void) {
  struct stat st;
  if (fstat(fd, &st) < 0) fail("fstat: %s", strerror(errno));
  if (st.st_size != model_size) fail("size %lld, expected %ld", (long long)st.st_size, model_size);
}

static void do_write(void) {
  long offset = random_below(max_len), length = 1 + random_below(max_op);
  if (offset + length > max_len) length = max_len - offset;
  record(OP_WRITE, offset, length);
  for (long i = 0; i < length; i++) buffer[i] = (unsigned char)(next_random() >> 56);
  full_pwrite(fd, buffer, length, offset);
  if (offset > model_size) memset(model + model_size, 0, (size_t)(offset - model_size));  /* a hole */
  memcpy(model + offset, buffer, (size_t)length);
  if (offset + length > model_size) model_size = offset + length;
}

static void do_append(void) {
  long length = 1 + random_below(max_op);
  if (model_size + length > max_len) return;
  record(OP_APPEND, model_size, length);
  for (long i = 0; i < length; i++) buffer[i] = (unsigned char)(next_random() >> 56);
  const unsigned char *from = buffer;
  for (long left = length; left > 0;) {
    ssize_t n = write(append_fd, from, (size_t)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("append of %ld bytes: %s", left, n < 0 ? strerror(errno) : "wrote 0");
    from += n;
    left -= n;
  }
  memcpy(model + model_size, buffer, (size_t)length);
  model_size += length;
}

static void do_read(void) {
  long offset = random_below(model_size + max_op / 4 + 1), length = 1 + random_below(max_op);
  record(OP_READ, offset, length);
  check_range(offset, length);
}

static void do_truncate(void) {
  long size = random_below(max_len + 1);
  record(OP_TRUNCATE, size, 0);
  if (ftruncate(fd, size) < 0) fail("ftruncate to %ld: %s", size, strerror(errno));
  if (size > model_size) memset(model + model_size, 0, (size_t)(size - model_size));
  model_size = size;
  check_size();
}

static void open_file(void) {
  fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) fail("open: %s", strerror(errno));
}

static void do_reopen(void) {
  record(OP_REOPEN, 0, 0);
  if (close(fd) < 0) fail("close: %s", strerror(errno));
  open_file();
  check_size();
}

int main(int argc, char **argv) {
  long ops = 10000;
  uint64_t seed = 0;
  int appends = 0, c;
  max_len = 256 * 1024;
  max_op = 64 * 1024;
  while ((c = getopt(argc, argv, "N:S:l:o:a")) != -1) {
    switch (c) {
      case 'N': ops = atol(optarg); break;
      case 'S': seed = strtoull(optarg, NULL, 0); break;
      case 'l': max_len = atol(optarg); break;
      case 'o': max_op = atol(optarg); break;
      case 'a': appends = 1; break;
      default:
        fprintf(stderr, "usage: fsx [-N OPS] [-S SEED] [-l MAXLEN] [-o MAXOP] [-a] FILE\n");
        return 2;
    }
  }
  if (optind != argc - 1 || ops < 0 || max_len < 1 || max_op < 1 || max_op > max_len) {
    fprintf(stderr, "usage: fsx [-N OPS] [-S SEED] [-l MAXLEN] [-o MAXOP] [-a] FILE\n");
    return 2;
  }
  path = argv[optind];
  if (seed == 0) seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
  rng_state = seed;
  printf("fsx: %s: seed %llu, %ld operations, file up to %ld bytes, operations up to %ld\n", path,
         (unsigned long long)seed, ops, max_len, max_op);
  fflush(stdout);
  model = calloc((size_t)max_len, 1);
  buffer = malloc((size_t)max_len);
  if (!model || !buffer) fail("out of memory");
  int created = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (created < 0) fail("create: %s", strerror(errno));
  fd = created;
  if (appends) {
    append_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (append_fd < 0) fail("open O_APPEND: %s", strerror(errno));
  }
  for (ops_done = 0; ops_done < ops; ops_done++) {
    long r = random_below(100);
    if (r < 40) do_write();
    else if (r < 80) do_read();
    else if (r < 88) do_truncate();
    else if (r < 91) { record(OP_FSYNC, 0, 0); if (fsync(fd) < 0) fail("fsync: %s", strerror(errno)); }
    else if (r < 94) do_reopen();
    else if (r < 97 && appends) do_append();
    else { record(OP_CHECK_ALL, 0, model_size); check_size(); check_range(0, model_size); }
  }
  ops_done = ops > 0 ? ops - 1 : 0;
  check_size();
  check_range(0, model_size);
  printf("fsx: %s: %ld operations, all checks held (final size %ld)\n", path, ops, model_size);
  return 0;
}
