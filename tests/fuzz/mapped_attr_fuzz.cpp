// libFuzzer target: the mapped model's record (user.xenos.attr), which anyone able to write a
// host file's attributes could have set. No input may crash or read out of bounds; a record
// that parses is of a type its host file can stand for, and says the same when written again.
#include <sys/stat.h>
#include <cstddef>
#include <cstdint>
#include "trees/mapped_attr.h"

using iohost::MappedAttr;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (mode_t host : {S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO}) {
    auto a = MappedAttr::parse(text, host);
    if (!a) continue;
    if (host != S_IFREG && host != S_IFDIR) __builtin_trap();  // only files and folders hold one
    if (((a->mode & S_IFMT) == S_IFDIR) != (host == S_IFDIR)) __builtin_trap();
    if (a->mode & ~uint32_t(S_IFMT | 07777)) __builtin_trap();
    auto again = MappedAttr::parse(a->text(), host);
    if (!again || again->uid != a->uid || again->gid != a->gid || again->mode != a->mode || again->rdev != a->rdev)
      __builtin_trap();
  }
  return 0;
}
