// The dialect-neutral file API on top of the session: each call picks the messages of the
// negotiated dialect (Topen/Tcreate/Tstat/Twstat/Tread-of-stats for 9P2000 and .u,
// Tlopen/Tlcreate/Tgetattr/Tsetattr/Treaddir for .L). Big reads and writes are pipelined.
#include <cerrno>
#include <optional>
#include "p9/client.h"
#include "locked.h"

namespace p9 {
namespace {

constexpr uint32_t S_IFMT_ = 0170000, S_IFDIR_ = 0040000, S_IFREG_ = 0100000, S_IFLNK_ = 0120000;

uint32_t linux_open_flags(uint32_t flags) {
  using namespace linux_flags;
  uint32_t f = (flags & kReadWrite) == kReadWrite ? O_RDWR : (flags & kWrite) ? O_WRONLY : O_RDONLY;
  if (flags & kTruncate) f |= O_TRUNC;
  if (flags & kAppend) f |= O_APPEND;
  if (flags & kDirectory) f |= O_DIRECTORY;
  return f;
}

uint8_t plan9_open_mode(uint32_t flags) {
  uint8_t m = (flags & kReadWrite) == kReadWrite ? ORDWR : (flags & kWrite) ? OWRITE : OREAD;
  if (flags & kTruncate) m |= OTRUNC;
  return m;
}

FileInfo info_from_stat(const Stat& s) {
  FileInfo i;
  i.name = s.name;
  i.qid = s.qid;
  uint32_t type = (s.mode & DMDIR) ? S_IFDIR_ : (s.mode & DMSYMLINK) ? S_IFLNK_ : S_IFREG_;
  i.mode = type | (s.mode & 0777);
  i.size = s.length;
  i.uid = s.n_uid == NONUNAME ? 0 : s.n_uid;
  i.gid = s.n_gid == NONUNAME ? 0 : s.n_gid;
  i.atime_sec = s.atime;
  i.mtime_sec = s.mtime;
  i.ctime_sec = s.mtime;
  return i;
}

FileInfo info_from_attr(const Attr& a) {
  FileInfo i;
  i.qid = a.qid;
  i.mode = a.mode;
  i.size = a.size;
  i.uid = a.uid;
  i.gid = a.gid;
  i.nlink = a.nlink;
  i.atime_sec = a.atime_sec;
  i.mtime_sec = a.mtime_sec;
  i.ctime_sec = a.ctime_sec;
  return i;
}

// stat(5): a Twstat field of all ones (or an empty string) means "leave it as it is".
Stat dont_touch() {
  Stat s;
  s.type = 0xffff;
  s.dev = 0xffffffff;
  s.qid = {0xff, 0xffffffff, ~uint64_t(0)};
  s.mode = 0xffffffff;
  s.atime = s.mtime = 0xffffffff;
  s.length = ~uint64_t(0);
  s.n_uid = s.n_gid = s.n_muid = NONUNAME;
  return s;
}

}  // namespace

size_t Client::chunk_size(uint32_t iounit) const {
  size_t limit = msize_ - IOHDRSZ;
  return iounit != 0 && iounit < limit ? iounit : limit;
}

Result<File> Client::open_fid(Fid fid, uint32_t flags) {
  if (dialect_ != Dialect::k9P2000L && (flags & kDirectory) && !(fid.qid().type & QTDIR))
    return Error{ENOTDIR, "open: not a directory"};
  for (int attempt = 0;; ++attempt) {
    uint32_t iounit;
    uint64_t answered_in = 0;
    if (dialect_ == Dialect::k9P2000L) {
      Rlopen r = TRY(call_in<Rlopen>(Tlopen{fid.number(), linux_open_flags(flags)}, &answered_in));
      iounit = r.iounit;
    } else {
      Ropen r = TRY(call_in<Ropen>(Topen{fid.number(), plan9_open_mode(flags)}, &answered_in));
      iounit = r.iounit;
    }
    if (track_opened(fid.number(), flags, answered_in)) return File(this, std::move(fid), iounit, flags);
    // Opened by a session since replaced; the new one made the fid again but did not open it.
    if (attempt >= 2) return Error{EIO, "9P: open: the session was recovered three times during one open"};
  }
}

Result<File> Client::open(std::string_view path, uint32_t flags, uint32_t mode) {
  auto existing = walk(path);
  if (existing) {
    if ((flags & kCreate) && (flags & kExclusive))
      return Error{EEXIST, "open: \"" + std::string(path) + "\" exists"};
    // A walk does not follow a symbolic link, and a server asked to open one may (QEMU's
    // passthrough does not, a plain open(2) would): with kNoFollow it is refused here, unopened.
    if ((flags & kNoFollow) && (existing->qid().type & QTSYMLINK))
      return Error{ELOOP, "open: \"" + std::string(path) + "\" is a symbolic link"};
    return open_fid(std::move(*existing), flags);
  }
  if (!(flags & kCreate) || existing.error().code != ENOENT) return existing.error();
  std::string name;
  Fid dir = TRY(walk_parent(path, &name));
  uint32_t iounit;
  Qid qid;
  uint64_t answered_in = 0;
  if (dialect_ == Dialect::k9P2000L) {
    uint32_t f = linux_open_flags(flags & ~kTruncate) | linux_flags::O_CREAT;
    if (flags & kExclusive) f |= linux_flags::O_EXCL;
    Rlcreate r = TRY(call_in<Rlcreate>(Tlcreate{dir.number(), name, f, mode & 07777, 0}, &answered_in));
    iounit = r.iounit;
    qid = r.qid;
  } else {
    Rcreate r = TRY(call_in<Rcreate>(
        Tcreate{dir.number(), name, mode & 0777, plan9_open_mode(flags & ~kTruncate), ""}, &answered_in));
    iounit = r.iounit;
    qid = r.qid;
  }
  if (!track_created(dir.number(), name, qid, flags, answered_in)) {
    // Created by a session since replaced: the file exists, the fid is the directory again.
    dir.clunk();
    return open(path, flags & ~(kCreate | kExclusive | kTruncate), mode);
  }
  // create(5)/Tlcreate: the directory's fid now stands for the new, open file.
  Fid file = std::move(dir);
  file.qid_ = qid;
  return File(this, std::move(file), iounit, flags);
}

Result<FileInfo> Client::stat(const Fid& fid) {
  if (dialect_ == Dialect::k9P2000L) {
    Rgetattr r = TRY(call<Rgetattr>(Tgetattr{fid.number(), P9_GETATTR_BASIC}));
    return info_from_attr(r.attr);
  }
  Rstat r = TRY(call<Rstat>(Tstat{fid.number()}));
  return info_from_stat(r.stat.stat);
}

Result<FileInfo> Client::stat(std::string_view path) {
  Fid fid = TRY(walk(path));
  FileInfo info = TRY(stat(fid));
  if (info.name.empty()) {
    auto names = split_path(path);
    info.name = names.empty() ? "/" : names.back();
  }
  return info;
}

Result<std::vector<DirItem>> Client::readdir(std::string_view path) {
  Fid fid = TRY(walk(path));
  if (!(fid.qid().type & QTDIR))
    return Error{ENOTDIR, "readdir: \"" + std::string(path) + "\" is not a directory"};
  File dir = TRY(open_fid(std::move(fid), kRead | kDirectory));
  std::vector<DirItem> items;
  uint32_t count = uint32_t(chunk_size(dir.iounit()));
  auto keep = [&](std::string name, Qid qid) {
    if (name != "." && name != "..") items.push_back({std::move(name), qid});
  };
  if (dialect_ == Dialect::k9P2000L) {
    uint64_t offset = 0;
    for (;;) {
      auto reply = TRY(round_trip(encode(Treaddir{dir.fid().number(), offset, count}, 0, dialect_)));
      Header h = TRY(decode_header(reply, msize_));
      if (h.type != Type::Rreaddir) return reply_error(reply, "readdir");
      Rreaddir r = TRY(decode<Rreaddir>(reply, dialect_, msize_));
      if (r.data.bytes.empty()) break;
      std::vector<DirEntry> entries = TRY(decode_dir_entries(r.data.bytes));
      for (DirEntry& e : entries) keep(std::move(e.name), e.qid);
      uint64_t next = entries.back().offset;
      if (next == offset) return Error{EPROTO, "readdir: the server's offset does not advance"};
      offset = next;
    }
  } else {
    // read(5) on a directory: whole stat records; the offset is the byte count read so far.
    uint64_t offset = 0;
    for (;;) {
      auto reply = TRY(round_trip(encode(Tread{dir.fid().number(), offset, count}, 0, dialect_)));
      Header h = TRY(decode_header(reply, msize_));
      if (h.type != Type::Rread) return reply_error(reply, "readdir");
      Rread r = TRY(decode<Rread>(reply, dialect_, msize_));
      if (r.data.bytes.empty()) break;
      std::vector<Stat> stats = TRY(decode_stats(r.data.bytes, dialect_));
      for (Stat& s : stats) keep(std::move(s.name), s.qid);
      offset += r.data.bytes.size();
    }
  }
  return items;
}

Result<std::vector<DirEntry>> Client::readdir(const Fid& fid, uint64_t offset, uint32_t count) {
  count = uint32_t(std::min<size_t>(count, msize_ - IOHDRSZ));
  auto reply = TRY(round_trip(encode(Treaddir{fid.number(), offset, count}, 0, dialect_)));
  Header h = TRY(decode_header(reply, msize_));
  if (h.type != Type::Rreaddir) return reply_error(reply, "readdir");
  Rreaddir r = TRY(decode<Rreaddir>(reply, dialect_, msize_));
  return decode_dir_entries(r.data.bytes);
}

Result<void> Client::mkdir(std::string_view path, uint32_t mode) {
  std::string name;
  Fid dir = TRY(walk_parent(path, &name));
  if (dialect_ == Dialect::k9P2000L) {
    TRY(call<Rmkdir>(Tmkdir{dir.number(), name, mode & 07777, 0}));
    return {};
  }
  TRY(call<Rcreate>(Tcreate{dir.number(), name, DMDIR | (mode & 0777), OREAD, ""}));
  return {};  // `dir` now stands for the new directory and is clunked here
}

Result<void> Client::remove(std::string_view path) {
  Fid fid = TRY(walk(path));
  if (dialect_ == Dialect::k9P2000L) {
    // As Linux's v9fs does: Tunlinkat on the parent, Tremove only where the server has no
    // Tunlinkat (diod 1.0.24). nfs-ganesha 4.3 crashes on a Tremove of a file: seen here.
    std::string name;
    Fid dir = TRY(walk_parent(path, &name));
    uint32_t flags = (fid.qid().type & QTDIR) ? AT_REMOVEDIR : 0;
    auto u = call<Runlinkat>(Tunlinkat{dir.number(), name, flags});
    if (u || u.error().code != EOPNOTSUPP) {
      if (!u) return u.error();
      return {};
    }
  }
  return remove_fid(std::move(fid));
}

Result<void> Client::remove_fid(Fid fid) {
  uint64_t answered_in = 0;
  auto r = call_in<Rremove>(Tremove{fid.number()}, &answered_in);
  bool clunked_by_the_server;  // remove(5): it got the request, so the fid is gone
  {
    Locked lock(sync_);
    clunked_by_the_server = answered_in == generation_;
  }
  if (clunked_by_the_server) fid.forget();  // else ~Fid clunks it in the recovered session
  if (!r) return r.error();
  return {};
}

Result<void> Client::rename(std::string_view from, std::string_view to) {
  std::string from_name, to_name;
  if (dialect_ == Dialect::k9P2000L) {
    Fid from_dir = TRY(walk_parent(from, &from_name));
    Fid to_dir = TRY(walk_parent(to, &to_name));
    auto r = call<Rrenameat>(Trenameat{from_dir.number(), from_name, to_dir.number(), to_name});
    if (r || (r.error().code != EOPNOTSUPP && r.error().code != ENOSYS)) {
      if (!r) return r.error();
      return {};
    }
    // Servers without Trenameat (diod) have the older Trename(fid, dfid, name).
    Fid fid = TRY(walk(from_dir, {from_name}));
    TRY(call<Rrename>(Trename{fid.number(), to_dir.number(), to_name}));
    return {};
  }
  // 9P2000(.u) renames by Twstat of the name, within the same directory only.
  std::vector<std::string> a = split_path(from), b = split_path(to);
  if (a.empty() || b.empty() || a.size() != b.size() || !std::equal(a.begin(), a.end() - 1, b.begin()))
    return Error{EXDEV, "rename: 9P2000 renames only within one directory"};
  Fid fid = TRY(walk(from));
  WireStat ws{dont_touch()};
  ws.stat.name = b.back();
  TRY(call<Rwstat>(Twstat{fid.number(), ws}));
  return {};
}

Result<void> Client::truncate(std::string_view path, uint64_t size) {
  AttrChange c;
  c.size = size;
  return set_attr(path, c);
}

Result<void> Client::set_attr(std::string_view path, const AttrChange& change) {
  Fid fid = TRY(walk(path));
  return set_attr_fid(fid, change);
}

// 9P2000.L: one Tsetattr with the changed fields valid. 9P2000(.u): one Twstat with every
// field it does not change "don't touch"; it cannot say "now", and owners are strings in plain
// 9P2000.
Result<void> Client::set_attr_fid(const Fid& fid, const AttrChange& c) {
  if (dialect_ == Dialect::k9P2000L) {
    SetAttr a;
    auto time = [&](const std::optional<TimeChange>& t, uint32_t bit, uint32_t set_bit, uint64_t* sec,
                    uint64_t* nsec) {
      if (!t) return;
      a.valid |= bit | (t->now ? 0 : set_bit);
      *sec = t->sec;
      *nsec = t->nsec;
    };
    if (c.mode) a.valid |= P9_SETATTR_MODE, a.mode = *c.mode & 07777;
    if (c.uid) a.valid |= P9_SETATTR_UID, a.uid = *c.uid;
    if (c.gid) a.valid |= P9_SETATTR_GID, a.gid = *c.gid;
    if (c.size) a.valid |= P9_SETATTR_SIZE, a.size = *c.size;
    time(c.atime, P9_SETATTR_ATIME, P9_SETATTR_ATIME_SET, &a.atime_sec, &a.atime_nsec);
    time(c.mtime, P9_SETATTR_MTIME, P9_SETATTR_MTIME_SET, &a.mtime_sec, &a.mtime_nsec);
    if (a.valid == 0) return {};
    TRY(call<Rsetattr>(Tsetattr{fid.number(), a}));
    return {};
  }
  if ((c.atime && c.atime->now) || (c.mtime && c.mtime->now))
    return Error{EINVAL, "setattr: 9P2000 cannot set a time to the server's now"};
  if ((c.uid || c.gid) && dialect_ != Dialect::k9P2000u)
    return Error{EPERM, "setattr: 9P2000 names owners by strings; a numeric owner needs 9P2000.L or .u"};
  WireStat ws{dont_touch()};
  // Twstat may not change DMDIR: keep the file's own.
  if (c.mode) ws.stat.mode = (fid.qid().type & QTDIR ? DMDIR : 0) | (*c.mode & 0777);
  if (c.uid) ws.stat.n_uid = *c.uid;
  if (c.gid) ws.stat.n_gid = *c.gid;
  if (c.size) ws.stat.length = *c.size;
  if (c.atime) ws.stat.atime = uint32_t(c.atime->sec);
  if (c.mtime) ws.stat.mtime = uint32_t(c.mtime->sec);
  TRY(call<Rwstat>(Twstat{fid.number(), ws}));
  return {};
}

Result<void> Client::symlink(std::string_view path, std::string_view target) {
  if (dialect_ != Dialect::k9P2000L)
    return Error{EOPNOTSUPP, "symlink: symbolic links need 9P2000.L (the session is " + version_ + ")"};
  std::string name;
  Fid dir = TRY(walk_parent(path, &name));
  TRY(call<Rsymlink>(Tsymlink{dir.number(), name, std::string(target), 0}));
  return {};
}

Result<std::string> Client::readlink(std::string_view path) {
  if (dialect_ != Dialect::k9P2000L)
    return Error{EOPNOTSUPP, "readlink: symbolic links need 9P2000.L (the session is " + version_ + ")"};
  Fid fid = TRY(walk(path));
  Rreadlink r = TRY(call<Rreadlink>(Treadlink{fid.number()}));
  return std::move(r.target);
}

// ---- reads and writes -------------------------------------------------------------------------

// Runs `chunks` requests with up to pipeline_depth in flight, completing them in order.
// issue(i) encodes request i; complete(i, reply) checks reply i and says whether to go on (a
// short read or write stops issuing more). The first error wins; later replies are drained.
template <typename Issue, typename Complete>
Result<void> Client::pipelined(size_t chunks, Issue&& issue, Complete&& complete) {
  size_t depth = std::max<size_t>(1, std::min(options_.pipeline_depth, chunks));
  std::vector<Call> calls(depth);
  size_t issued = 0, completed = 0;
  bool stopped = false;
  std::optional<Error> failure;
  auto start = [&](size_t i) -> Result<void> {
    calls[i % depth] = Call{};
    return begin(calls[i % depth], issue(i));
  };
  while (issued < std::min(chunks, depth)) {
    TRY_VOID(start(issued));
    ++issued;
  }
  while (completed < issued) {
    size_t i = completed++;
    auto reply = finish(calls[i % depth]);
    if (!failure && !stopped) {
      if (!reply) {
        failure = reply.error();
      } else if (Result<bool> go_on = complete(i, *reply); !go_on) {
        failure = go_on.error();
      } else {
        stopped = !*go_on;
      }
    }
    if (!failure && !stopped && issued < chunks) {
      if (auto r = start(issued); !r)
        failure = r.error();
      else
        ++issued;
    }
  }
  if (failure) return *failure;
  return {};
}

Result<size_t> Client::read_chunks(uint32_t fid, std::span<std::byte> out, uint64_t offset, uint32_t iounit) {
  size_t chunk = chunk_size(iounit);
  size_t total = 0;
  auto done = pipelined(
      (out.size() + chunk - 1) / chunk,
      [&](size_t i) {
        size_t at = i * chunk;
        return encode(Tread{fid, offset + at, uint32_t(std::min(chunk, out.size() - at))}, 0, dialect_);
      },
      [&](size_t i, const std::vector<std::byte>& reply) -> Result<bool> {
        auto r = decode<Rread>(reply, dialect_, msize_);
        if (!r) return reply_error(reply, "read");
        size_t at = i * chunk, want = std::min(chunk, out.size() - at);
        if (r->data.bytes.size() > want)
          return Error{EPROTO, "read: the server returned more than was asked"};
        std::copy(r->data.bytes.begin(), r->data.bytes.end(), out.begin() + long(at));
        total = at + r->data.bytes.size();
        return r->data.bytes.size() == want;  // short: the end of the file
      });
  if (!done && total == 0) return done.error();
  return total;  // what arrived before an error still counts, as with read(2)
}

Result<size_t> Client::write_chunks(uint32_t fid, std::span<const std::byte> in, uint64_t offset,
                                    uint32_t iounit) {
  size_t chunk = chunk_size(iounit);
  size_t total = 0;
  auto done = pipelined((in.size() + chunk - 1) / chunk,
                        [&](size_t i) {
                          size_t at = i * chunk;
                          return encode(
                              Twrite{fid, offset + at, Data{in.subspan(at, std::min(chunk, in.size() - at))}},
                              0, dialect_);
                        },
                        [&](size_t i, const std::vector<std::byte>& reply) -> Result<bool> {
                          auto r = decode<Rwrite>(reply, dialect_, msize_);
                          if (!r) return reply_error(reply, "write");
                          size_t want = std::min(chunk, in.size() - i * chunk);
                          if (r->count > want)
                            return Error{EPROTO, "write: the server claims more than was sent"};
                          total = i * chunk + r->count;
                          return r->count == want;  // short: report how far it got
                        });
  if (!done && total == 0) return done.error();
  return total;
}

Result<size_t> File::pread(std::span<std::byte> out, uint64_t offset) {
  if (!fid_.valid()) return Error{EBADF, "read: the file is closed"};
  if (out.empty()) return size_t(0);
  return client_->read_chunks(fid_.number(), out, offset, iounit_);
}

Result<size_t> File::pwrite(std::span<const std::byte> in, uint64_t offset) {
  if (!fid_.valid()) return Error{EBADF, "write: the file is closed"};
  if (in.empty()) return size_t(0);
  if ((flags_ & kAppend) && client_->dialect() != Dialect::k9P2000L) {
    // 9P2000 has no per-open append: write at the current end.
    FileInfo info = TRY(stat());
    offset = info.size;
  }
  return client_->write_chunks(fid_.number(), in, offset, iounit_);
}

Result<FileInfo> File::stat() {
  if (!fid_.valid()) return Error{EBADF, "stat: the file is closed"};
  return client_->stat(fid_);
}

Result<void> File::truncate(uint64_t size) {
  if (!fid_.valid()) return Error{EBADF, "truncate: the file is closed"};
  AttrChange c;
  c.size = size;
  return client_->set_attr_fid(fid_, c);
}

Result<void> File::set_attr(const AttrChange& change) {
  if (!fid_.valid()) return Error{EBADF, "setattr: the file is closed"};
  return client_->set_attr_fid(fid_, change);
}

Result<uint8_t> File::lock(const Lock& request) {
  if (!fid_.valid()) return Error{EBADF, "lock: the file is closed"};
  if (client_->dialect() != Dialect::k9P2000L) return Error{ENOLCK, "lock: record locks need 9P2000.L"};
  Rlock r = TRY(client_->call<Rlock>(Tlock{fid_.number(), request}));
  return r.status;
}

Result<Lock> File::getlock(const Lock& request) {
  if (!fid_.valid()) return Error{EBADF, "getlock: the file is closed"};
  if (client_->dialect() != Dialect::k9P2000L) return Error{ENOLCK, "getlock: record locks need 9P2000.L"};
  Rgetlock r = TRY(client_->call<Rgetlock>(Tgetlock{fid_.number(), request}));
  return std::move(r.lock);
}

Result<void> File::fsync() {
  if (!fid_.valid()) return Error{EBADF, "fsync: the file is closed"};
  if (client_->dialect() == Dialect::k9P2000L) {
    TRY(client_->call<Rfsync>(Tfsync{fid_.number(), 0}));
    return {};
  }
  // stat(5): a Twstat that changes nothing asks the server to commit the file to storage.
  TRY(client_->call<Rwstat>(Twstat{fid_.number(), WireStat{dont_touch()}}));
  return {};
}

}  // namespace p9
