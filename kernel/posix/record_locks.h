// Advisory record locks (fcntl F_SETLK, F_SETLKW, F_GETLK), held by the file's server when it
// has 9P2000.L locks (iohost: open-file-description locks on the host), in the guest otherwise.
// Not newlib's internal locks: those are posix/newlib_locks.cpp.
#pragma once
#include <fcntl.h>
#include <cstdint>
#include <string>
#include "ns/file_server.h"

namespace posix {

// What a lock call needs of a descriptor.
struct LockTarget {
  ns::OpenFile* file;       // null: a directory
  const std::string& path;  // clean, absolute
  uint64_t offset;          // for SEEK_CUR
  int flags;                // O_* as opened
};

// fcntl's F_SETLK, F_SETLKW or F_GETLK: 0, or -1 with errno.
int record_lock(const LockTarget& d, int command, struct flock* lock);
// As a descriptor closes: the guest's locks on its file go (POSIX: any close releases them).
void release_record_locks(const LockTarget& d);

}  // namespace posix
