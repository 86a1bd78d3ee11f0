// newlib's system calls other than files (kernel/posix/files.cpp): memory, time, process.
// For x86_64-elf newlib calls the plain POSIX names (toolchain facts).
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <csignal>
#include <ctime>
#include "console.h"
#include "log.h"
#include "memory/memory.h"
#include "posix/fail.h"
#include "shutdown.h"
#include "xen/console_ring.h"
#include "xenos/time.h"

using posix::fail;

extern "C" {

int link(const char*, const char*) { return fail(ENOSYS); }  // 9P has no portable hard links
int execve(const char*, char* const*, char* const*) { return fail(ENOSYS); }
int fork() { return fail(ENOSYS); }
int wait(int*) { return fail(ECHILD); }
int gettimeofday(struct timeval* tv, void*) {
  uint64_t ns = xenos::wall_clock_ns();
  if (ns == 0) return fail(ENOSYS);  // no Xen, no clock
  tv->tv_sec = time_t(ns / 1000000000);
  tv->tv_usec = suseconds_t(ns % 1000000000 / 1000);
  return 0;
}

int clock_gettime(clockid_t clock, struct timespec* ts) {
  uint64_t ns;
  if (clock == CLOCK_MONOTONIC || clock == CLOCK_MONOTONIC_RAW)
    ns = xenos::monotonic_ns();
  else if (clock == CLOCK_REALTIME)
    ns = xenos::wall_clock_ns();
  else
    return fail(EINVAL);
  if (ns == 0) return fail(ENOSYS);
  ts->tv_sec = time_t(ns / 1000000000);
  ts->tv_nsec = long(ns % 1000000000);
  return 0;
}

// times(): the one process's CPU time is the time since boot (one vCPU, nothing else runs).
clock_t times(struct tms* t) {
  clock_t ticks = clock_t(xenos::monotonic_ns() / (1000000000 / CLOCKS_PER_SEC));
  if (t) *t = {ticks, 0, 0, 0};
  return ticks;
}

int nanosleep(const struct timespec* request, struct timespec* remaining) {
  if (request->tv_sec < 0 || request->tv_nsec < 0 || request->tv_nsec >= 1000000000) return fail(EINVAL);
  if (xenos::monotonic_ns() == 0) return fail(ENOSYS);
  xenos::sleep_ns(uint64_t(request->tv_sec) * 1000000000 + uint64_t(request->tv_nsec));
  if (remaining) *remaining = {0, 0};
  return 0;
}

int usleep(useconds_t us) {
  struct timespec ts {
    time_t(us / 1000000), long(us % 1000000) * 1000
  };
  return nanosleep(&ts, nullptr);
}

unsigned sleep(unsigned seconds) {
  struct timespec ts {
    time_t(seconds), 0
  };
  return nanosleep(&ts, nullptr) == 0 ? 0 : seconds;
}
int getentropy(void*, size_t) { return fail(ENOSYS); }
int sigprocmask(int, const sigset_t*, sigset_t*) { return 0; }  // one process, no signal delivery

int getpid() { return 1; }

// newlib's abort() and raise() end here for the one process there is.
int kill(int pid, int signal) {
  if (pid != 1) return fail(ESRCH);
  kernel::log("killed by signal %d\n", signal);
  kernel::machine_exit(128 + signal);
}

// assert() failing: newlib's message, printed by the kernel's log rather than through stdio's
// fiprintf (which would put a second printf engine in every image), then abort() as newlib does.
[[noreturn]] void __assert_func(const char* file, int line, const char* function, const char* expression) {
  kernel::log("assertion \"%s\" failed: file \"%s\", line %d%s%s\n", expression, file, line,
              function ? ", function: " : "", function ? function : "");
  std::abort();
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
