// What the namespace needs from a file tree: a FileServer answers path operations (paths are
// relative to its own root, '/'-separated, already clean) and hands out OpenFiles. 9P shares,
// the synthetic /dev and /env, and the unit tests' in-memory trees all implement it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>
#include "xenos/owned.h"
#include "p9/attr_change.h"
#include "p9/error.h"
#include "p9/open_flags.h"
#include "p9/lock.h"

namespace ns {

using p9::AttrChange;
using p9::Error;
using p9::Result;

constexpr uint32_t kModeDir = 0040000, kModeFile = 0100000, kModeChar = 0020000, kModeLink = 0120000,
                   kModeTypeMask = 0170000;

struct Attr {
  uint32_t mode = 0;  // POSIX st_mode
  uint64_t size = 0;
  uint64_t inode = 0;  // qid.path for 9P
  uint64_t nlink = 1;
  uint32_t uid = 0, gid = 0;
  uint64_t atime = 0, mtime = 0, ctime = 0;
  bool is_dir() const { return (mode & kModeTypeMask) == kModeDir; }
  bool is_link() const { return (mode & kModeTypeMask) == kModeLink; }
};

struct Entry {
  std::string name;
  bool is_dir = false;
  uint64_t inode = 0;
};

// Open flags the namespace passes down (the POSIX call maps its own O_* onto these): lib9p's,
// so a 9P share passes them on unchanged.
using p9::OpenFlags;
using enum p9::OpenFlags;

class OpenFile {
 public:
  virtual ~OpenFile() = default;  // closes
  virtual Result<size_t> read(std::span<std::byte> out, uint64_t offset) = 0;
  virtual Result<size_t> write(std::span<const std::byte> in, uint64_t offset) = 0;
  virtual Result<Attr> stat() = 0;
  virtual Result<void> truncate(uint64_t) { return Error{EINVAL, "truncate: not supported here"}; }
  virtual Result<void> set_attr(const AttrChange&) { return Error{EPERM, "setattr: not supported here"}; }
  virtual Result<void> sync() { return {}; }
  // POSIX record locks owned by this open file, on its server (9P2000.L Tlock/Tgetlock; the
  // p9::Lock fields and P9_LOCK_* values). ENOLCK where the server has none: the descriptor
  // table then keeps the lock within the guest.
  virtual Result<uint8_t> lock(const p9::Lock&) { return Error{ENOLCK, "lock: no record locks here"}; }
  virtual Result<p9::Lock> getlock(const p9::Lock&) { return Error{ENOLCK, "getlock: no record locks here"}; }
  virtual bool is_terminal() const { return false; }
  virtual bool is_directory() const { return false; }  // a directory opened as a file
  virtual bool appends() const { return false; }  // writes go to the end whatever the offset
  // The most one read or write moves as one message (0: no limit). A stream (a /net data
  // file) must be read and written a message at a time, in order: sockets use this.
  virtual size_t max_io() const { return 0; }
};

class FileServer {
 public:
  virtual ~FileServer() = default;
  virtual const char* name() const = 0;  // for messages: "9p:share", "#c", "#e"
  virtual Result<Attr> stat(const std::string& path) = 0;
  virtual Result<xenos::Owned<OpenFile>> open(const std::string& path, uint32_t mode, uint32_t perm) = 0;
  virtual Result<std::vector<Entry>> list(const std::string& path) = 0;
  virtual Result<void> mkdir(const std::string& path, uint32_t perm) = 0;
  virtual Result<void> remove(const std::string& path) = 0;
  virtual Result<void> rename(const std::string& from, const std::string& to) = 0;
  // stat() does not follow a symbolic link (it says kModeLink); the namespace follows them.
  virtual Result<void> set_attr(const std::string& path, const AttrChange&) {
    return Error{EPERM, std::string("setattr: ") + name() + " has fixed attributes: " + path};
  }
  virtual Result<void> symlink(const std::string& path, const std::string&) {
    return Error{EPERM, std::string("symlink: ") + name() + " has no symbolic links: " + path};
  }
  virtual Result<std::string> readlink(const std::string& path) {
    return Error{EINVAL, std::string("readlink: not a symbolic link (") + name() + "): " + path};
  }
};

}  // namespace ns
