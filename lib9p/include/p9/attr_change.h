// What a setattr changes, dialect-neutral: lib9p's client sends it as Tsetattr or Twstat, and
// the kernel's namespace passes it down from chmod, chown, utimes and truncate.
#pragma once
#include <cstdint>
#include <optional>

namespace p9 {

// What a setattr changes; a field left empty stays as it is. A time may be "now" (the
// server's clock) or a given instant.
struct TimeChange {
  uint64_t sec = 0;
  uint32_t nsec = 0;
  bool now = false;
};
struct AttrChange {
  std::optional<uint32_t> mode;  // permission bits (07777); the file's type never changes
  std::optional<uint32_t> uid, gid;
  std::optional<uint64_t> size;
  std::optional<TimeChange> atime, mtime;
};

}  // namespace p9
