// newlib's system calls. For x86_64-elf newlib calls the plain POSIX names (toolchain facts).
// Files arrive with the namespace (kernel/ns); until then only the console descriptors exist
// and the file calls fail with ENOSYS, so a program learns it rather than misbehaving.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include "console.h"
#include "log.h"
#include "memory/memory.h"
#include "shutdown.h"

#undef errno
extern "C" int errno;

namespace {
bool is_console(int fd) { return fd >= 0 && fd <= 2; }
int fail(int error) {
  errno = error;
  return -1;
}
}  // namespace

extern "C" {

int write(int fd, const void* buffer, size_t count) {
  if (fd != 1 && fd != 2) return fail(EBADF);
  kernel::console_write({static_cast<const char*>(buffer), count});
  return int(count);
}

int read(int fd, void*, size_t) {
  if (fd == 0) return 0;  // console input arrives with the console ring; until then EOF
  return fail(EBADF);
}

int open(const char*, int, ...) { return fail(ENOSYS); }
int close(int fd) { return is_console(fd) ? 0 : fail(EBADF); }
off_t lseek(int fd, off_t, int) { return is_console(fd) ? fail(ESPIPE) : fail(EBADF); }
int isatty(int fd) { return is_console(fd) ? 1 : (errno = EBADF, 0); }

int fstat(int fd, struct stat* st) {
  if (!is_console(fd)) return fail(EBADF);
  *st = {};
  st->st_mode = S_IFCHR;
  return 0;
}

int stat(const char*, struct stat*) { return fail(ENOSYS); }
int link(const char*, const char*) { return fail(ENOSYS); }
int unlink(const char*) { return fail(ENOSYS); }
int mkdir(const char*, mode_t) { return fail(ENOSYS); }
int fcntl(int, int, ...) { return fail(ENOSYS); }
int execve(const char*, char* const*, char* const*) { return fail(ENOSYS); }
int fork() { return fail(ENOSYS); }
int wait(int*) { return fail(ECHILD); }
int gettimeofday(struct timeval*, void*) { return fail(ENOSYS); }
clock_t times(struct tms*) { return clock_t(fail(ENOSYS)); }
int getentropy(void*, size_t) { return fail(ENOSYS); }
int sigprocmask(int, const void*, void*) { return 0; }  // one process, no signal delivery

int getpid() { return 1; }

// newlib's abort() and raise() end here for the one process there is.
int kill(int pid, int signal) {
  if (pid != 1) return fail(ESRCH);
  kernel::log("killed by signal %d\n", signal);
  kernel::machine_exit(128 + signal);
}

void* sbrk(ptrdiff_t increment) {
  void* previous = kernel::heap_grow(increment);
  if (previous == nullptr) {
    errno = ENOMEM;
    return reinterpret_cast<void*>(-1);
  }
  return previous;
}

void _exit(int status) { kernel::machine_exit(status); }

// aligned_alloc calls it and this newlib configuration does not supply it.
int posix_memalign(void** out, size_t alignment, size_t size) {
  extern void* memalign(size_t, size_t);
  void* p = memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

// __libc_init_array calls these around the init arrays; the linker script provides the arrays.
void _init() {}
void _fini() {}

}  // extern "C"
