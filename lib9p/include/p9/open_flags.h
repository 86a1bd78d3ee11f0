// Open flags, the same on every platform and dialect: the client maps them to Topen modes or
// Tlopen flags, and the guest's namespace passes them to every file server (9P or not).
#pragma once
#include <cstdint>

namespace p9 {

enum OpenFlags : uint32_t {
  kRead = 1,
  kWrite = 2,
  kReadWrite = 3,
  kCreate = 4,
  kExclusive = 8,
  kTruncate = 16,
  kAppend = 32,
  kDirectory = 64,
  kNoFollow = 128,  // a symbolic link at the end is not followed or opened (ELOOP)
};

}  // namespace p9
