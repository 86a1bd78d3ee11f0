// Errors on the wire. 9P2000.L (Rlerror) and 9P2000.u (Rerror's errnum) carry Linux errno
// numbers; 9P2000 carries only text. This platform's numbers may differ (newlib's ENOTEMPTY is
// 90, Linux's 39), so every translation goes through one table of {local, Linux, text}
// (errno_table.cpp): the client reads replies with it, the server writes them with it.
#pragma once
#include <cstdint>
#include <string_view>

namespace p9 {

// This platform's errno for a Linux number off the wire; EIO for a number not in the table.
int errno_from_linux(uint32_t linux_errno);
// The Linux number for this platform's errno; 5 (EIO) for one not in the table.
uint32_t linux_errno(int local_errno);
// Lower-case text for an errno ("no such file or directory"); "error" for one not in the table.
const char* errno_text(int local_errno);
// Best effort for a 9P2000 Rerror string: the table's texts (our own server writes them), then
// words Plan 9 and other servers use; EIO when nothing matches.
int errno_from_text(std::string_view text);

}  // namespace p9
