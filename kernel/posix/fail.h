// How a POSIX call fails: errno set, -1 returned. errno is newlib's per-reent value
// (*__errno()): set through <cerrno>'s macro, never a global of the same name, or the program
// would never see it.
#pragma once
#include <cerrno>
#include "xenos/result.h"

namespace posix {

inline int fail(int error) {
  errno = error;
  return -1;
}
inline int fail(const xenos::Error& e) { return fail(e.code ? e.code : EIO); }

}  // namespace posix
