// 9P protocol constants and value types shared by the three dialects: 9P2000 (intro(5)),
// 9P2000.u (ericvh/9p-rfc) and 9P2000.L (diod's protocol.md). Spec names keep the spec's
// spelling so a reader can grep for them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#include "p9/lock.h"  // Lock, P9_LOCK_*

namespace p9 {

enum class Dialect { k9P2000, k9P2000u, k9P2000L };
const char* dialect_name(Dialect d);  // "9P2000", "9P2000.u", "9P2000.L"

constexpr uint16_t NOTAG = 0xffff;
constexpr uint32_t NOFID = 0xffffffff;
constexpr uint32_t NONUNAME = 0xffffffff;  // 9P2000.u/.L: no numeric uname
constexpr size_t MAXWELEM = 16;            // names per Twalk
constexpr size_t IOHDRSZ = 24;             // Twrite/Rread overhead beyond the data
constexpr size_t kHeaderSize = 7;          // size[4] type[1] tag[2]
constexpr size_t kMinMsize = 256;          // smaller than any useful message: refused

// Message types (R = T + 1).
// Laid out by hand: each T beside its R.
// clang-format off
enum class Type : uint8_t {
  Tlerror = 6, Rlerror = 7,
  Tstatfs = 8, Rstatfs = 9,
  Tlopen = 12, Rlopen = 13,
  Tlcreate = 14, Rlcreate = 15,
  Tsymlink = 16, Rsymlink = 17,
  Tmknod = 18, Rmknod = 19,
  Trename = 20, Rrename = 21,
  Treadlink = 22, Rreadlink = 23,
  Tgetattr = 24, Rgetattr = 25,
  Tsetattr = 26, Rsetattr = 27,
  Txattrwalk = 30, Rxattrwalk = 31,
  Txattrcreate = 32, Rxattrcreate = 33,
  Treaddir = 40, Rreaddir = 41,
  Tfsync = 50, Rfsync = 51,
  Tlock = 52, Rlock = 53,
  Tgetlock = 54, Rgetlock = 55,
  Tlink = 70, Rlink = 71,
  Tmkdir = 72, Rmkdir = 73,
  Trenameat = 74, Rrenameat = 75,
  Tunlinkat = 76, Runlinkat = 77,
  Tversion = 100, Rversion = 101,
  Tauth = 102, Rauth = 103,
  Tattach = 104, Rattach = 105,
  Terror = 106, Rerror = 107,
  Tflush = 108, Rflush = 109,
  Twalk = 110, Rwalk = 111,
  Topen = 112, Ropen = 113,
  Tcreate = 114, Rcreate = 115,
  Tread = 116, Rread = 117,
  Twrite = 118, Rwrite = 119,
  Tclunk = 120, Rclunk = 121,
  Tremove = 122, Rremove = 123,
  Tstat = 124, Rstat = 125,
  Twstat = 126, Rwstat = 127,
};
// clang-format on

// Qid types and Plan 9 open modes and permission bits (intro(5), open(5), stat(5)).
constexpr uint8_t QTDIR = 0x80, QTAPPEND = 0x40, QTEXCL = 0x20, QTAUTH = 0x08, QTSYMLINK = 0x02,
                  QTFILE = 0x00;
constexpr uint8_t OREAD = 0, OWRITE = 1, ORDWR = 2, OEXEC = 3, OTRUNC = 0x10, ORCLOSE = 0x40;
constexpr uint32_t DMDIR = 0x80000000, DMAPPEND = 0x40000000, DMEXCL = 0x20000000,
                   DMSYMLINK = 0x02000000;  // .u

// 9P2000.L: Linux open flags on the wire (Tlopen/Tlcreate), and Tgetattr masks.
namespace linux_flags {
constexpr uint32_t O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200, O_TRUNC = 01000,
                   O_APPEND = 02000, O_DIRECTORY = 0200000;
}
constexpr uint64_t P9_GETATTR_BASIC = 0x000007ff, P9_GETATTR_ALL = 0x00003fff;
constexpr uint32_t P9_SETATTR_MODE = 0x1, P9_SETATTR_UID = 0x2, P9_SETATTR_GID = 0x4, P9_SETATTR_SIZE = 0x8,
                   P9_SETATTR_ATIME = 0x10, P9_SETATTR_MTIME = 0x20, P9_SETATTR_CTIME = 0x40,
                   P9_SETATTR_ATIME_SET = 0x80, P9_SETATTR_MTIME_SET = 0x100;  // _SET: the time given, not now
constexpr uint32_t AT_REMOVEDIR = 0x200;  // Tunlinkat flags (Linux value)

struct Qid {
  uint8_t type = 0;
  uint32_t version = 0;
  uint64_t path = 0;
  bool operator==(const Qid&) const = default;
};

// A directory entry / file status in 9P2000(.u) form (stat(5)); the .u fields are kept empty
// or ~0 for plain 9P2000.
struct Stat {
  uint16_t type = 0;
  uint32_t dev = 0;
  Qid qid;
  uint32_t mode = 0;
  uint32_t atime = 0, mtime = 0;
  uint64_t length = 0;
  std::string name, uid, gid, muid;
  std::string extension;                                           // .u
  uint32_t n_uid = NONUNAME, n_gid = NONUNAME, n_muid = NONUNAME;  // .u
  bool operator==(const Stat&) const = default;
};

// 9P2000.L Rgetattr.
struct Attr {
  uint64_t valid = 0;
  Qid qid;
  uint32_t mode = 0, uid = 0, gid = 0;
  uint64_t nlink = 0, rdev = 0, size = 0, blksize = 0, blocks = 0;
  uint64_t atime_sec = 0, atime_nsec = 0, mtime_sec = 0, mtime_nsec = 0;
  uint64_t ctime_sec = 0, ctime_nsec = 0, btime_sec = 0, btime_nsec = 0;
  uint64_t gen = 0, data_version = 0;
  bool operator==(const Attr&) const = default;
};

// 9P2000.L Tsetattr.
struct SetAttr {
  uint32_t valid = 0, mode = 0, uid = 0, gid = 0;
  uint64_t size = 0, atime_sec = 0, atime_nsec = 0, mtime_sec = 0, mtime_nsec = 0;
  bool operator==(const SetAttr&) const = default;
};

// 9P2000.L Rstatfs.
struct StatFs {
  uint32_t type = 0, bsize = 0;
  uint64_t blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0, fsid = 0;
  uint32_t namelen = 0;
  bool operator==(const StatFs&) const = default;
};

// 9P2000.L Treaddir entry.
struct DirEntry {
  Qid qid;
  uint64_t offset = 0;
  uint8_t type = 0;
  std::string name;
  bool operator==(const DirEntry&) const = default;
};


}  // namespace p9
