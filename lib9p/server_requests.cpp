// One handler per 9P request. Each checks what it can on the session's thread (fids, names,
// dialect) and returns a Job: the work that calls the tree (inline, or on the Executor for a
// blocking node) and, in the Outcome, what to change in the fid table once the reply is sent.
// Work never touches the session: it gets copies and shared nodes.
#include <cerrno>
#include "server_internal.h"

namespace p9 {

std::vector<std::byte> error_message(uint16_t tag, const Error& e, Dialect dialect);

namespace {

using FidPtr = std::shared_ptr<Session::FidState>;
using Job = Session::Job;
using Outcome = Session::Outcome;

// Work returns Result<R>: an R becomes the reply, an Error its dialect's error message.
template <typename Work>
Job job(uint16_t tag, Dialect d, bool blocking, Work work, std::function<void()> commit = {}) {
  return Job{[tag, d, work = std::move(work), commit = std::move(commit)]() mutable -> Outcome {
               auto r = work();
               if (!r) return {error_message(tag, r.error(), d), {}};
               return {encode(*r, tag, d), std::move(commit)};
             },
             blocking};
}

bool readable(uint32_t flags) { return (flags & 3) != linux_flags::O_WRONLY; }
bool writable(uint32_t flags) { return (flags & 3) != linux_flags::O_RDONLY; }

Error not_open(uint32_t fid) { return Error{EBADF, "fid " + std::to_string(fid) + " is not open"}; }

}  // namespace

// ---- 9P2000(.u) conversions -------------------------------------------------------------------

uint32_t linux_flags_from_plan9_mode(uint8_t mode) {
  using namespace linux_flags;
  uint32_t f = (mode & 3) == OWRITE ? O_WRONLY : (mode & 3) == ORDWR ? O_RDWR : O_RDONLY;
  if (mode & OTRUNC) f |= O_TRUNC;
  return f;
}

uint32_t plan9_mode_from_attr(const Attr& a, Dialect dialect) {
  uint32_t mode = a.mode & 0777;
  uint32_t type = a.mode & 0170000;
  if (type == 0040000) mode |= DMDIR;
  if (dialect == Dialect::k9P2000u) {
    if (type == 0120000) mode |= DMSYMLINK;
    if (type == 0020000 || type == 0060000) mode |= 0x00800000;  // DMDEVICE
    if (type == 0010000) mode |= 0x00200000;                     // DMNAMEDPIPE
    if (type == 0140000) mode |= 0x00100000;                     // DMSOCKET
    if (a.mode & 04000) mode |= 0x00080000;                      // DMSETUID
    if (a.mode & 02000) mode |= 0x00040000;                      // DMSETGID
  }
  return mode;
}

Result<Stat> stat_of(Node& node, std::string_view name, Dialect dialect) {
  Attr a = TRY(node.getattr());
  Stat s;
  s.qid = a.qid;
  s.mode = plan9_mode_from_attr(a, dialect);
  s.atime = uint32_t(a.atime_sec);
  s.mtime = uint32_t(a.mtime_sec);
  s.length = (s.mode & DMDIR) ? 0 : a.size;
  s.name = std::string(name);
  s.uid = std::to_string(a.uid);
  s.gid = std::to_string(a.gid);
  if (dialect == Dialect::k9P2000u) {
    s.n_uid = a.uid;
    s.n_gid = a.gid;
    if (s.mode & DMSYMLINK) s.extension = TRY(node.readlink());
    if (s.mode & 0x00800000)
      s.extension = std::string((a.mode & 0170000) == 0020000 ? "c " : "b ") +
                    std::to_string((a.rdev >> 8) & 0xfff) + " " +
                    std::to_string((a.rdev & 0xff) | ((a.rdev >> 12) & 0xfff00));
  }
  return s;
}

// ---- attach, walk, clunk, remove ---------------------------------------------------------------

template <>
Result<Job> Session::on(uint16_t, Tauth&) {
  // diod's clients read ENOENT as "no authentication needed"; Plan 9's read the text.
  return Error{ENOENT, "authentication not required"};
}

template <>
Result<Job> Session::on(uint16_t tag, Tattach& m) {
  if (m.afid != NOFID) return Error{EINVAL, "authentication not required: afid must be NOFID"};
  TRY_VOID(new_fid_free(m.fid));
  std::vector<std::string> rest;
  Tree* tree = server_.find(m.aname, &rest);
  if (tree == nullptr) {
    std::string names;
    for (const std::string& n : server_.names()) names += (names.empty() ? "" : ", ") + n;
    return Error{ENOENT, "no tree \"" + m.aname + "\" (this server has: " + names + ")"};
  }
  for (const std::string& n : rest)
    if (!valid_name(n)) return bad_name(n);
  auto state = std::make_shared<FidState>();
  state->tree = tree;
  Caller caller{client_, m.uname, m.n_uname, budget_};
  uint32_t fid = m.fid;
  return job(
      tag, dialect_, tree->blocking(),
      [tree, caller, rest, state]() -> Result<Rattach> {
        std::shared_ptr<Node> node = TRY(tree->attach(caller));
        for (const std::string& n : rest) node = TRY(node->walk(n));
        // The attach root is the subtree's top: ".." from it stays there.
        state->blocking = node->blocking();
        state->path.push_back(node);
        state->names.push_back("/");
        return Rattach{node->qid()};
      },
      [this, fid, state] { fids_[fid] = state; });
}

template <>
Result<Job> Session::on(uint16_t tag, Twalk& m) {
  FidPtr from = TRY(fid(m.fid));
  if (m.newfid != m.fid) TRY_VOID(new_fid_free(m.newfid));
  for (const std::string& n : m.wnames)
    if (n != ".." && n != "." && !valid_name(n)) return bad_name(n);
  auto walked = std::make_shared<FidState>();
  walked->path = from->path;
  walked->names = from->names;
  walked->tree = from->tree;
  walked->blocking = from->blocking;
  uint32_t newfid = m.newfid;
  auto complete = std::make_shared<bool>(false);
  return job(
      tag, dialect_, from->blocking,
      [names = std::move(m.wnames), walked, complete]() -> Result<Rwalk> {
        Rwalk r;
        for (size_t i = 0; i < names.size(); ++i) {
          if (names[i] == ".") {
            // Not in walk(5), but diod's tools send it: the same file.
          } else if (names[i] == "..") {
            // The attach root is its own parent (walk(5)): nothing climbs out.
            if (walked->path.size() > 1) {
              walked->path.pop_back();
              walked->names.pop_back();
            }
          } else {
            auto next = walked->path.back()->walk(names[i]);
            if (!next) {
              if (i == 0) return next.error();  // walk(5): only the first failure is an error
              return r;
            }
            walked->path.push_back(std::move(*next));
            walked->names.push_back(names[i]);
          }
          r.wqids.push_back(walked->path.back()->qid());
        }
        walked->blocking = walked->path.back()->blocking();  // a tree may mix both kinds
        *complete = true;
        return r;
      },
      [this, newfid, walked, complete] {
        if (*complete) fids_[newfid] = walked;
      });
}

template <>
Result<Job> Session::on(uint16_t tag, Tclunk& m) {
  FidPtr f = TRY(fid(m.fid));
  fids_.erase(m.fid);  // clunk(5): the fid is gone whatever happens next
  bool remove = f->remove_on_clunk;
  return job(tag, dialect_, f->blocking, [f, remove]() mutable -> Result<Rclunk> {
    auto parent = f->parent();
    Result<void> removed;
    if (remove && parent) removed = parent->unlink(f->name(), f->is_dir());
    f.reset();  // the last reference may clunk on another server: here, not on the session's thread
    if (!removed) return removed.error();
    return Rclunk{};
  });
}

template <>
Result<Job> Session::on(uint16_t tag, Tremove& m) {
  FidPtr f = TRY(fid(m.fid));
  fids_.erase(m.fid);  // remove(5): clunked even when the remove fails
  return job(tag, dialect_, f->blocking, [f]() mutable -> Result<Rremove> {
    auto parent = f->parent();
    if (!parent) return Error{EBUSY, "the root of a tree cannot be removed"};
    bool dir = f->is_dir();
    std::string name = f->name();
    f.reset();
    TRY_VOID(parent->unlink(name, dir));
    return Rremove{};
  });
}

// ---- open, create ---------------------------------------------------------------------------

namespace {

Result<void> openable(const Session::FidState& f, uint32_t number) {
  if (f.file || f.xattr) return Error{EBADF, "fid " + std::to_string(number) + " is already open"};
  return {};
}

// An open that waits (a network listen): the reply and the fid's new state come when it is done.
template <typename Reply>
Job parked_open(uint16_t tag, Dialect d, FidPtr f, uint32_t flags, bool remove_on_clunk) {
  Job j;
  j.park = [tag, d, f, flags, remove_on_clunk](std::function<void(Outcome)> reply) -> Cancel {
    return f->node().open_parked(
        flags, [tag, d, f, flags, remove_on_clunk, reply](Result<std::unique_ptr<OpenFile>> r) {
          if (!r) return reply({error_message(tag, r.error(), d), {}});
          std::shared_ptr<OpenFile> opened = std::move(*r);
          reply({encode(Reply{f->node().qid(), 0}, tag, d), [f, flags, remove_on_clunk, opened] {
                   f->file = opened;
                   f->open_flags = flags;
                   f->remove_on_clunk = remove_on_clunk;
                   f->dir_offset = f->dir_cookie = 0;
                 }});
        });
  };
  return j;
}

}  // namespace

template <>
Result<Job> Session::on(uint16_t tag, Tlopen& m) {
  FidPtr f = TRY(fid(m.fid));
  TRY_VOID(openable(*f, m.fid));
  uint32_t flags = m.flags & ~(linux_flags::O_CREAT | linux_flags::O_EXCL);
  if (f->node().parks_open()) return parked_open<Rlopen>(tag, dialect_, f, flags, false);
  auto opened = std::make_shared<std::shared_ptr<OpenFile>>();
  return job(
      tag, dialect_, f->blocking,
      [f, flags, opened]() -> Result<Rlopen> {
        *opened = TRY(f->node().open(flags));
        return Rlopen{f->node().qid(), 0};
      },
      [f, flags, opened] {
        f->file = std::move(*opened);
        f->open_flags = flags;
        f->dir_offset = f->dir_cookie = 0;
      });
}

template <>
Result<Job> Session::on(uint16_t tag, Topen& m) {
  FidPtr f = TRY(fid(m.fid));
  TRY_VOID(openable(*f, m.fid));
  uint32_t flags = linux_flags_from_plan9_mode(m.mode);
  bool rclose = m.mode & ORCLOSE;
  if (f->node().parks_open() && !f->is_dir()) return parked_open<Ropen>(tag, dialect_, f, flags, rclose);
  auto opened = std::make_shared<std::shared_ptr<OpenFile>>();
  return job(
      tag, dialect_, f->blocking,
      [f, flags, opened]() -> Result<Ropen> {
        uint32_t fl = flags;
        if (f->is_dir()) {
          if (fl & 3) return Error{EISDIR, "a directory cannot be opened for writing"};
          fl |= linux_flags::O_DIRECTORY;
        }
        *opened = TRY(f->node().open(fl));
        return Ropen{f->node().qid(), 0};
      },
      [f, flags, rclose, opened] {
        f->file = std::move(*opened);
        f->open_flags = flags;
        f->remove_on_clunk = rclose;
        f->dir_offset = f->dir_cookie = 0;
      });
}

namespace {

// After a create the fid stands for the new file (create(5), Tlcreate).
std::function<void()> becomes(FidPtr f, std::string name, std::shared_ptr<Created> created, uint32_t flags) {
  return [f, name = std::move(name), created, flags] {
    f->path.push_back(created->node);
    f->names.push_back(name);
    f->file = std::move(created->file);
    f->open_flags = flags;
    f->dir_offset = f->dir_cookie = 0;
  };
}

}  // namespace

template <>
Result<Job> Session::on(uint16_t tag, Tlcreate& m) {
  FidPtr f = TRY(fid(m.fid));
  TRY_VOID(openable(*f, m.fid));
  if (!valid_name(m.name)) return bad_name(m.name);
  uint32_t flags = m.flags | linux_flags::O_CREAT;
  auto created = std::make_shared<Created>();
  return job(
      tag, dialect_, f->blocking,
      [f, name = m.name, flags, mode = m.mode, gid = m.gid, created]() -> Result<Rlcreate> {
        *created = TRY(f->node().create(name, flags, mode, gid));
        return Rlcreate{created->node->qid(), 0};
      },
      becomes(f, m.name, created,
              flags & ~(linux_flags::O_CREAT | linux_flags::O_EXCL | linux_flags::O_TRUNC)));
}

template <>
Result<Job> Session::on(uint16_t tag, Tcreate& m) {
  FidPtr f = TRY(fid(m.fid));
  TRY_VOID(openable(*f, m.fid));
  if (!valid_name(m.name)) return bad_name(m.name);
  Dialect d = dialect_;
  uint32_t flags = linux_flags_from_plan9_mode(m.mode);
  auto created = std::make_shared<Created>();
  return job(
      tag, d, f->blocking,
      [f, m, d, flags, created]() -> Result<Rcreate> {
        Node& dir = f->node();
        if (m.perm & DMDIR) {
          created->node = TRY(dir.mkdir(m.name, m.perm & 0777, NONUNAME));
          created->file = TRY(created->node->open(linux_flags::O_RDONLY | linux_flags::O_DIRECTORY));
        } else if (d == Dialect::k9P2000u && (m.perm & DMSYMLINK)) {
          created->node = TRY(dir.symlink(m.name, m.extension, NONUNAME));
        } else if (d == Dialect::k9P2000u && (m.perm & 0x00b00000)) {
          return Error{EOPNOTSUPP, "devices, pipes and sockets cannot be created here"};
        } else {
          *created = TRY(dir.create(m.name, flags | linux_flags::O_CREAT | linux_flags::O_EXCL, m.perm & 0777,
                                    NONUNAME));
        }
        return Rcreate{created->node->qid(), 0};
      },
      becomes(f, m.name, created, flags & ~linux_flags::O_TRUNC));
}

// ---- read, write --------------------------------------------------------------------------

namespace {

// A Tread's first read: larger reads only once this much came back (see Tread).
constexpr size_t kFirstReadPiece = 64 * 1024;

// Rread's header and count, written around data already in place: size[4] type[1] tag[2] count[4].
void finish_rread(std::vector<std::byte>& out, uint16_t tag, size_t count, Type type = Type::Rread) {
  out.resize(11 + count);
  uint32_t size = uint32_t(out.size());
  for (int i = 0; i < 4; ++i) out[i] = std::byte(size >> (8 * i));
  out[4] = std::byte(uint8_t(type));
  out[5] = std::byte(tag);
  out[6] = std::byte(tag >> 8);
  for (int i = 0; i < 4; ++i) out[7 + i] = std::byte(uint32_t(count) >> (8 * i));
}

// Reads a directory as 9P2000(.u) stat records (read(5)): `count` bytes at most, whole records
// only, starting at the readdir cookie where the previous read stopped.
Outcome read_stats(uint16_t tag, Dialect d, FidPtr f, uint64_t cookie, uint32_t count) {
  std::vector<std::byte> out(11);
  uint64_t next = cookie;
  bool full = false;
  while (!full) {
    auto entries = f->file->readdir(next, 64 * 1024);
    if (!entries) return {error_message(tag, entries.error(), d), {}};
    if (entries->empty()) break;
    for (const DirEntry& e : *entries) {
      if (e.name == "." || e.name == "..") {  // Plan 9 directories do not list them
        next = e.offset;
        continue;
      }
      auto child = f->node().walk(e.name);
      Result<Stat> s = child ? stat_of(**child, e.name, d) : Result<Stat>(child.error());
      if (!s) {  // gone since readdir listed it: skip it, as ls would
        next = e.offset;
        continue;
      }
      std::vector<std::byte> record;
      Encoder enc(record, d);
      enc(*s);
      if (out.size() - 11 + record.size() > count) {
        full = true;
        break;
      }
      out.insert(out.end(), record.begin(), record.end());
      next = e.offset;
    }
  }
  size_t n = out.size() - 11;
  finish_rread(out, tag, n);
  return {std::move(out), [f, next, n] {
            f->dir_cookie = next;
            f->dir_offset += n;
          }};
}

}  // namespace

template <>
Result<Job> Session::on(uint16_t tag, Tread& m) {
  FidPtr f = TRY(fid(m.fid));
  // read(5): a server may return fewer bytes than asked; an ask beyond msize gets what fits.
  uint32_t count = uint32_t(std::min<uint64_t>(m.count, msize_ - IOHDRSZ));
  uint64_t offset = m.offset;
  Dialect d = dialect_;
  if (f->xattr) {
    auto value = f->xattr;
    std::vector<std::byte> out(11);
    if (offset < value->size()) {
      size_t n = std::min<size_t>(count, value->size() - offset);
      out.insert(out.end(), value->begin() + long(offset), value->begin() + long(offset + n));
    }
    finish_rread(out, tag, out.size() - 11);
    return Job{[out = std::move(out)]() mutable -> Outcome { return {std::move(out), {}}; }, false};
  }
  if (!f->file || !readable(f->open_flags)) return not_open(m.fid);
  if (d != Dialect::k9P2000L && f->is_dir()) {
    if (offset == 0) {
      f->dir_offset = 0;
      f->dir_cookie = 0;
    } else if (offset != f->dir_offset) {
      return Error{EINVAL, "a directory is read from where the previous read ended (read(5))"};
    }
    return Job{[tag, d, f, cookie = f->dir_cookie, count] { return read_stats(tag, d, f, cookie, count); },
               f->blocking};
  }
  if (f->file->parks()) {
    Job j;
    j.park = [tag, d, file = f->file, offset, count](std::function<void(Outcome)> reply) -> Cancel {
      return file->read_parked(offset, count, [tag, d, count, reply](Result<std::vector<std::byte>> r) {
        if (!r) return reply({error_message(tag, r.error(), d), {}});
        size_t n = std::min<size_t>(r->size(), count);
        std::vector<std::byte> out(11);
        out.insert(out.end(), r->begin(), r->begin() + long(n));
        finish_rread(out, tag, n);
        reply({std::move(out), {}});
      });
    };
    return j;
  }
  return Job{[tag, d, file = f->file, offset, count]() -> Outcome {
               // A reply holds what was read, not what was asked: 400 Treads of msize on a
               // 1-byte file must not make (and zero) 400 msize buffers. So a first piece, and
               // the rest only when that came back full.
               size_t first = std::min<size_t>(count, kFirstReadPiece);
               std::vector<std::byte> out(11 + first);
               auto n = file->read(offset, std::span(out).subspan(11));
               if (!n) return {error_message(tag, n.error(), d), {}};
               size_t got = std::min(*n, first);
               if (got == first && count > first) {
                 out.resize(11 + size_t(count));
                 auto more = file->read(offset + got, std::span(out).subspan(11 + got));
                 if (more) got += std::min<size_t>(*more, count - got);  // an error later: what was read
               }
               finish_rread(out, tag, got);
               if (out.capacity() - out.size() > kFirstReadPiece) out.shrink_to_fit();
               return {std::move(out), {}};
             },
             f->blocking};
}

template <>
Result<Job> Session::on(uint16_t tag, Twrite& m) {
  FidPtr f = TRY(fid(m.fid));
  if (!f->file || !writable(f->open_flags)) return not_open(m.fid);
  std::span<const std::byte> data = m.data.bytes;
  if (f->file->parks()) {
    // A parked write keeps its data until the peer takes it: bounded per session.
    size_t max_parked = server_.limits().max_parked_bytes;
    if (*parked_bytes_ + data.size() > max_parked) {
      budget_->exhausted("data in parked writes (" + std::to_string(max_parked) + " bytes)");
      return Error{EAGAIN, "too much data waiting to be sent (" + std::to_string(*parked_bytes_) + " bytes)"};
    }
    *parked_bytes_ += data.size();
    // Counted back when the request's last closure goes: done, failed or flushed.
    std::shared_ptr<void> held(nullptr, [counter = parked_bytes_, n = data.size()](void*) { *counter -= n; });
    Job j;
    j.park = [tag, d = dialect_, file = f->file, offset = m.offset,
              copy = std::vector<std::byte>(data.begin(), data.end()),
              held](std::function<void(Outcome)> reply) mutable -> Cancel {
      size_t asked = copy.size();
      return file->write_parked(offset, std::move(copy), [tag, d, asked, reply, held](Result<size_t> r) {
        if (!r) return reply({error_message(tag, r.error(), d), {}});
        reply({encode(Rwrite{uint32_t(std::min(*r, asked))}, tag, d), {}});
      });
    };
    return j;
  }
  std::shared_ptr<std::vector<std::byte>> copy;
  if (f->blocking) {  // the message buffer is gone by the time the Executor runs it
    copy = std::make_shared<std::vector<std::byte>>(data.begin(), data.end());
    data = *copy;
  }
  return job(tag, dialect_, f->blocking, [file = f->file, offset = m.offset, data, copy]() -> Result<Rwrite> {
    size_t n = TRY(file->write(offset, data));
    return Rwrite{uint32_t(std::min(n, data.size()))};
  });
}

// ---- attributes ---------------------------------------------------------------------------

template <>
Result<Job> Session::on(uint16_t tag, Tgetattr& m) {
  FidPtr f = TRY(fid(m.fid));
  return job(tag, dialect_, f->blocking,
             [f]() -> Result<Rgetattr> { return Rgetattr{TRY(f->node().getattr())}; });
}

template <>
Result<Job> Session::on(uint16_t tag, Tsetattr& m) {
  FidPtr f = TRY(fid(m.fid));
  return job(tag, dialect_, f->blocking, [f, attr = m.attr]() mutable -> Result<Rsetattr> {
    // ftruncate: Linux's v9fs sends the open fid; the open file checks, as the kernel would.
    if ((attr.valid & P9_SETATTR_SIZE) && f->file && f->file->truncates() && writable(f->open_flags)) {
      TRY_VOID(f->file->truncate(attr.size));
      attr.valid &= ~P9_SETATTR_SIZE;
      if (!(attr.valid & ~(P9_SETATTR_CTIME | P9_SETATTR_MTIME))) return Rsetattr{};  // size only
    }
    TRY_VOID(f->node().setattr(attr));
    return Rsetattr{};
  });
}

template <>
Result<Job> Session::on(uint16_t tag, Tstat& m) {
  FidPtr f = TRY(fid(m.fid));
  Dialect d = dialect_;
  return job(tag, d, f->blocking,
             [f, d]() -> Result<Rstat> { return Rstat{WireStat{TRY(stat_of(f->node(), f->name(), d))}}; });
}

template <>
Result<Job> Session::on(uint16_t tag, Twstat& m) {
  FidPtr f = TRY(fid(m.fid));
  const Stat& s = m.stat.stat;
  // stat(5): all ones (or an empty string) means "leave it as it is".
  SetAttr attr;
  if (s.mode != 0xffffffff) {
    if (bool(s.mode & DMDIR) != f->is_dir()) return Error{EINVAL, "wstat cannot change a file's type"};
    attr.valid |= P9_SETATTR_MODE;
    attr.mode = s.mode & 0777;
  }
  if (s.length != ~uint64_t(0)) {
    attr.valid |= P9_SETATTR_SIZE;
    attr.size = s.length;
  }
  if (s.mtime != 0xffffffff) {
    attr.valid |= P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET;
    attr.mtime_sec = s.mtime;
  }
  if (s.atime != 0xffffffff) {
    attr.valid |= P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET;
    attr.atime_sec = s.atime;
  }
  if (dialect_ == Dialect::k9P2000u && s.n_gid != NONUNAME) {
    attr.valid |= P9_SETATTR_GID;
    attr.gid = s.n_gid;
  }
  std::string new_name;
  if (!s.name.empty() && s.name != f->name()) {
    if (!valid_name(s.name)) return bad_name(s.name);
    if (!f->parent()) return Error{EBUSY, "the root of a tree cannot be renamed"};
    new_name = s.name;
  }
  auto renamed = std::make_shared<bool>(false);
  return job(
      tag, dialect_, f->blocking,
      [f, attr, new_name, renamed]() -> Result<Rwstat> {
        if (attr.valid) TRY_VOID(f->node().setattr(attr));
        if (!new_name.empty()) {
          auto parent = f->parent();
          TRY_VOID(parent->rename(f->name(), *parent, new_name));
          *renamed = true;
        }
        return Rwstat{};
      },
      [f, new_name, renamed] {
        if (*renamed) f->names.back() = new_name;
      });
}

template <>
Result<Job> Session::on(uint16_t tag, Tstatfs& m) {
  FidPtr f = TRY(fid(m.fid));
  return job(tag, dialect_, f->blocking,
             [f]() -> Result<Rstatfs> { return Rstatfs{TRY(f->node().statfs())}; });
}

// ---- directories ------------------------------------------------------------------------------

template <>
Result<Job> Session::on(uint16_t tag, Treaddir& m) {
  FidPtr f = TRY(fid(m.fid));
  if (!f->file) return not_open(m.fid);
  uint32_t count = uint32_t(std::min<uint64_t>(m.count, msize_ - 11));
  Dialect d = dialect_;
  return Job{[tag, d, file = f->file, offset = m.offset, count]() -> Outcome {
               auto entries = file->readdir(offset, count);
               if (!entries) return {error_message(tag, entries.error(), d), {}};
               std::vector<std::byte> out(11);
               for (const DirEntry& e : *entries) {
                 if (out.size() - 11 + encoded_size(e) > count) break;
                 encode_dir_entry(out, e);
               }
               finish_rread(out, tag, out.size() - 11, Type::Rreaddir);
               return {std::move(out), {}};
             },
             f->blocking};
}

template <>
Result<Job> Session::on(uint16_t tag, Tmkdir& m) {
  FidPtr dir = TRY(fid(m.dfid));
  if (!valid_name(m.name)) return bad_name(m.name);
  return job(tag, dialect_, dir->blocking,
             [dir, name = m.name, mode = m.mode, gid = m.gid]() -> Result<Rmkdir> {
               auto node = TRY(dir->node().mkdir(name, mode, gid));
               return Rmkdir{node->qid()};
             });
}

template <>
Result<Job> Session::on(uint16_t tag, Tsymlink& m) {
  FidPtr dir = TRY(fid(m.fid));
  if (!valid_name(m.name)) return bad_name(m.name);
  return job(tag, dialect_, dir->blocking, [dir, m]() -> Result<Rsymlink> {
    auto node = TRY(dir->node().symlink(m.name, m.symtgt, m.gid));
    return Rsymlink{node->qid()};
  });
}

template <>
Result<Job> Session::on(uint16_t tag, Tmknod& m) {
  FidPtr dir = TRY(fid(m.dfid));
  if (!valid_name(m.name)) return bad_name(m.name);
  return job(tag, dialect_, dir->blocking, [dir, m]() -> Result<Rmknod> {
    auto node = TRY(dir->node().mknod(m.name, m.mode, m.major, m.minor, m.gid));
    return Rmknod{node->qid()};
  });
}

template <>
Result<Job> Session::on(uint16_t tag, Treadlink& m) {
  FidPtr f = TRY(fid(m.fid));
  return job(tag, dialect_, f->blocking,
             [f]() -> Result<Rreadlink> { return Rreadlink{TRY(f->node().readlink())}; });
}

template <>
Result<Job> Session::on(uint16_t tag, Tlink& m) {
  FidPtr dir = TRY(fid(m.dfid));
  FidPtr target = TRY(fid(m.fid));
  if (!valid_name(m.name)) return bad_name(m.name);
  if (dir->tree != target->tree) return Error{EXDEV, "link: the two fids are in different trees"};
  return job(tag, dialect_, dir->blocking, [dir, target, name = m.name]() -> Result<Rlink> {
    TRY_VOID(dir->node().link(name, target->node()));
    return Rlink{};
  });
}

template <>
Result<Job> Session::on(uint16_t tag, Tunlinkat& m) {
  FidPtr dir = TRY(fid(m.dirfd));
  if (!valid_name(m.name)) return bad_name(m.name);
  return job(tag, dialect_, dir->blocking, [dir, name = m.name, flags = m.flags]() -> Result<Runlinkat> {
    TRY_VOID(dir->node().unlink(name, flags & AT_REMOVEDIR));
    return Runlinkat{};
  });
}

template <>
Result<Job> Session::on(uint16_t tag, Trenameat& m) {
  FidPtr from = TRY(fid(m.olddirfid));
  FidPtr to = TRY(fid(m.newdirfid));
  if (!valid_name(m.oldname)) return bad_name(m.oldname);
  if (!valid_name(m.newname)) return bad_name(m.newname);
  if (from->tree != to->tree) return Error{EXDEV, "rename: the two directories are in different trees"};
  return job(tag, dialect_, from->blocking, [from, to, m]() -> Result<Rrenameat> {
    TRY_VOID(from->node().rename(m.oldname, to->node(), m.newname));
    return Rrenameat{};
  });
}

template <>
Result<Job> Session::on(uint16_t tag, Trename& m) {
  FidPtr f = TRY(fid(m.fid));
  FidPtr to = TRY(fid(m.dfid));
  if (!valid_name(m.name)) return bad_name(m.name);
  if (f->tree != to->tree) return Error{EXDEV, "rename: the two fids are in different trees"};
  if (!f->parent()) return Error{EBUSY, "the root of a tree cannot be renamed"};
  return job(
      tag, dialect_, f->blocking,
      [f, to, name = m.name]() -> Result<Rrename> {
        TRY_VOID(f->parent()->rename(f->name(), to->node(), name));
        return Rrename{};
      },
      [f, to, name = m.name] {  // the fid now lives in its new directory
        auto node = f->node_ptr();
        f->path = to->path;
        f->names = to->names;
        f->path.push_back(node);
        f->names.push_back(name);
      });
}

// ---- sync, locks, xattrs ------------------------------------------------------------------

template <>
Result<Job> Session::on(uint16_t tag, Tfsync& m) {
  FidPtr f = TRY(fid(m.fid));
  if (!f->file) return not_open(m.fid);
  // A sync may take seconds on a real disk, whatever the tree: always on the Executor (when
  // there is one), so that one client's fsyncs never hold up the session's thread for others.
  return job(tag, dialect_, true, [file = f->file, datasync = m.datasync != 0]() -> Result<Rfsync> {
    TRY_VOID(file->fsync(datasync));
    return Rfsync{};
  });
}

template <>
Result<Job> Session::on(uint16_t tag, Tlock& m) {
  FidPtr f = TRY(fid(m.fid));
  if (!f->file) return not_open(m.fid);
  bool waits = f->blocking || (m.lock.flags & P9_LOCK_FLAGS_BLOCK);
  if ((m.lock.flags & P9_LOCK_FLAGS_BLOCK) && f->file->lock_parks()) {  // waits, holding no thread
    Job j;
    j.park = [tag, d = dialect_, file = f->file,
              lock = m.lock](std::function<void(Outcome)> reply) -> Cancel {
      // `done` holds the open file: it stays open while its lock waits, whatever the fid does.
      return file->lock_parked(lock, [tag, d, reply, file](Result<uint8_t> r) {
        if (!r) return reply({error_message(tag, r.error(), d), {}});
        reply({encode(Rlock{*r}, tag, d), {}});
      });
    };
    return j;
  }
  return job(tag, dialect_, waits,
             [file = f->file, lock = m.lock]() -> Result<Rlock> { return Rlock{TRY(file->lock(lock))}; });
}

template <>
Result<Job> Session::on(uint16_t tag, Tgetlock& m) {
  FidPtr f = TRY(fid(m.fid));
  if (!f->file) return not_open(m.fid);
  return job(tag, dialect_, f->blocking, [file = f->file, lock = m.lock]() -> Result<Rgetlock> {
    return Rgetlock{TRY(file->getlock(lock))};
  });
}

template <>
Result<Job> Session::on(uint16_t tag, Txattrwalk& m) {
  FidPtr f = TRY(fid(m.fid));
  if (m.newfid != m.fid) TRY_VOID(new_fid_free(m.newfid));
  auto value = std::make_shared<std::vector<std::byte>>();
  uint32_t newfid = m.newfid;
  return job(
      tag, dialect_, f->blocking,
      [f, name = m.name, value]() -> Result<Rxattrwalk> {
        *value = TRY(f->node().xattr(name));
        return Rxattrwalk{value->size()};
      },
      [this, f, newfid, value] {
        auto x = std::make_shared<FidState>();
        x->path = f->path;
        x->names = f->names;
        x->tree = f->tree;
        x->blocking = f->blocking;
        x->xattr = value;
        fids_[newfid] = x;
      });
}

template <>
Result<Job> Session::on(uint16_t, Txattrcreate&) {
  return Error{EOPNOTSUPP, "extended attributes cannot be set here"};
}

// ---- dispatch (last: every handler above is declared)
// ---------------------------------------------------------------------------------

namespace {

enum class Set { kAll, kL, kOld };  // which dialects carry a request

}  // namespace

Result<Job> Session::prepare(const Header& h, std::span<const std::byte> message) {
  auto gate = [&](Set set, const char* name) -> Result<void> {
    bool l = dialect_ == Dialect::k9P2000L;
    if ((set == Set::kL && !l) || (set == Set::kOld && l))
      return Error{EOPNOTSUPP, std::string(name) + " is not part of " + dialect_name(dialect_)};
    return {};
  };
#define P9_SERVE(T, SET)                              \
  case Type::T: {                                     \
    TRY_VOID(gate(SET, #T));                          \
    auto m = decode<T>(message, dialect_, msize_);    \
    if (!m) return Error{EBADMSG, m.error().message}; \
    return on(h.tag, *m);                             \
  }
  switch (h.type) {
    P9_SERVE(Tattach, Set::kAll)
    P9_SERVE(Tauth, Set::kAll)
    P9_SERVE(Twalk, Set::kAll)
    P9_SERVE(Tread, Set::kAll)
    P9_SERVE(Twrite, Set::kAll)
    P9_SERVE(Tclunk, Set::kAll)
    P9_SERVE(Tremove, Set::kAll)
    P9_SERVE(Topen, Set::kOld)
    P9_SERVE(Tcreate, Set::kOld)
    P9_SERVE(Tstat, Set::kOld)
    P9_SERVE(Twstat, Set::kOld)
    P9_SERVE(Tlopen, Set::kL)
    P9_SERVE(Tlcreate, Set::kL)
    P9_SERVE(Tgetattr, Set::kL)
    P9_SERVE(Tsetattr, Set::kL)
    P9_SERVE(Treaddir, Set::kL)
    P9_SERVE(Tmkdir, Set::kL)
    P9_SERVE(Tsymlink, Set::kL)
    P9_SERVE(Tmknod, Set::kL)
    P9_SERVE(Treadlink, Set::kL)
    P9_SERVE(Tlink, Set::kL)
    P9_SERVE(Tunlinkat, Set::kL)
    P9_SERVE(Trenameat, Set::kL)
    P9_SERVE(Trename, Set::kL)
    P9_SERVE(Tstatfs, Set::kL)
    P9_SERVE(Tfsync, Set::kL)
    P9_SERVE(Tlock, Set::kL)
    P9_SERVE(Tgetlock, Set::kL)
    P9_SERVE(Txattrwalk, Set::kL)
    P9_SERVE(Txattrcreate, Set::kL)
    default:
      return Error{EOPNOTSUPP, "9P: message type " + std::to_string(int(h.type)) +
                                   " is not a request this server serves"};
  }
#undef P9_SERVE
}

}  // namespace p9
