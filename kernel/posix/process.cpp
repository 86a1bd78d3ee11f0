// What a program asks about the machine and itself: sysconf, uname, its user, its CPU time,
// ioctl, popen. One process on one vCPU, run as root (uid 0): there is no other user, and no
// other program to start, in a guest.
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "memory/memory.h"
#include "xenos/time.h"
extern "C" {
#include <sys/resource.h>  // newlib's has no extern "C" of its own
}

namespace {

constexpr long kPageSize = 4096;

void copy(char (&to)[_UTSNAME_LENGTH], const char* from) {
  std::strncpy(to, from, sizeof to - 1);
  to[sizeof to - 1] = '\0';
}

}  // namespace

extern "C" {

long sysconf(int name) {
  switch (name) {
    case _SC_PAGESIZE: return kPageSize;
    case _SC_NPROCESSORS_CONF:
    case _SC_NPROCESSORS_ONLN: return 1;  // threads share one vCPU
    case _SC_CLK_TCK: return CLOCKS_PER_SEC;  // times() counts in these (kernel/posix/syscalls.cpp)
    case _SC_OPEN_MAX: return 1 << 20;        // the descriptor table grows; this is a sane bound
    case _SC_PHYS_PAGES: return long(kernel::ram_bytes() / kPageSize);
    case _SC_AVPHYS_PAGES: return long(kernel::frames().free_frames());
    default: errno = EINVAL; return -1;
  }
}

int getpagesize() { return int(kPageSize); }

int uname(struct utsname* name) {
  if (!name) return errno = EFAULT, -1;
  copy(name->sysname, "xenos");
  copy(name->nodename, "xenos");
  copy(name->release, "0");  // no release numbering yet
  copy(name->version, "xenos library OS, a Xen guest");
  copy(name->machine, "x86_64");
  return 0;
}

uid_t getuid() { return 0; }
uid_t geteuid() { return 0; }
gid_t getgid() { return 0; }
gid_t getegid() { return 0; }

// The one user. Its home is the namespace's root (a ~/.rc file is /.rc).
struct passwd* getpwuid(uid_t uid) {
  static char name[] = "root", password[] = "", home[] = "/", shell[] = "", comment[] = "";
  static struct passwd root = {name, password, 0, 0, comment, comment, home, shell};
  if (uid != 0) return nullptr;  // no such user: POSIX leaves errno as it was
  return &root;
}

struct passwd* getpwnam(const char* name) {
  return name && std::strcmp(name, "root") == 0 ? getpwuid(0) : nullptr;
}

// As times(): the process's CPU time is the time since boot.
int getrusage(int who, struct rusage* usage) {
  if (!usage) return errno = EFAULT, -1;
  if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN) return errno = EINVAL, -1;
  *usage = {};
  if (who == RUSAGE_SELF) {
    uint64_t us = xenos::monotonic_ns() / 1000;
    usage->ru_utime = {time_t(us / 1000000), suseconds_t(us % 1000000)};
  }
  return 0;
}

// There is no shell or other program to run.
FILE* popen(const char*, const char*) {
  errno = ENOSYS;
  return nullptr;
}
int pclose(FILE*) {
  errno = ECHILD;
  return -1;
}

int ioctl(int fd, unsigned long, ...) {
  if (fcntl(fd, F_GETFL) < 0) return -1;  // EBADF
  errno = ENOTTY;
  return -1;
}

}  // extern "C"
