// 9P2000.L record locks (Tlock/Tgetlock): the lock record and what Rlock says. Its own header,
// free of protocol.h's Linux O_* names, for code that also includes <fcntl.h>.
#pragma once
#include <cstdint>
#include <string>

namespace p9 {

constexpr uint8_t P9_LOCK_SUCCESS = 0, P9_LOCK_BLOCKED = 1, P9_LOCK_ERROR = 2, P9_LOCK_GRACE = 3;
constexpr uint32_t P9_LOCK_FLAGS_BLOCK = 1;  // Tlock: wait for the lock (F_SETLKW)
constexpr uint8_t P9_LOCK_TYPE_RDLCK = 0, P9_LOCK_TYPE_WRLCK = 1, P9_LOCK_TYPE_UNLCK = 2;
struct Lock {
  uint8_t type = 0;
  uint32_t flags = 0;
  uint64_t start = 0, length = 0;
  uint32_t proc_id = 0;
  std::string client_id;
  bool operator==(const Lock&) const = default;
};

}  // namespace p9
