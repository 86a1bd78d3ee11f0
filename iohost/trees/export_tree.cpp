// The export tree (see export_tree.h). Each node holds an O_PATH descriptor of its file; files
// are opened through /proc/self/fd/N, so an open never resolves a name again. Only regular
// files and directories are opened (a FIFO or device would block the event loop).
#include "export_tree.h"
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <cerrno>
#include <cstring>
#include "mapped_attr.h"
#include "common/decimal.h"

namespace iohost {
namespace {

using p9::Error;
using p9::Result;

Error sys_error(const char* what) {
  int e = errno;
  return Error{e, std::string(what) + ": " + std::strerror(e)};
}

std::string proc_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// One path element beneath `dir`, never following a symbolic link (an O_PATH to the link itself).
Result<Fd> lookup(int dir, std::string_view name) {
  std::string n(name);
  open_how how{};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
  long fd = syscall(SYS_openat2, dir, n.c_str(), &how, sizeof how);
  if (fd < 0) {
    if (errno == ELOOP) errno = ENOENT;  // only on a symlink *inside* the name: cannot be, but say so
    return sys_error("lookup");
  }
  return Fd(int(fd));
}

p9::Attr attr_from(const struct stat& st, const p9::Qid& qid) {
  p9::Attr a;
  a.valid = p9::P9_GETATTR_BASIC;
  a.qid = qid;
  a.mode = st.st_mode;
  a.uid = st.st_uid;
  a.gid = st.st_gid;
  a.nlink = st.st_nlink;
  a.rdev = st.st_rdev;
  a.size = uint64_t(st.st_size);
  a.blksize = uint64_t(st.st_blksize);
  a.blocks = uint64_t(st.st_blocks);
  a.atime_sec = uint64_t(st.st_atim.tv_sec);
  a.atime_nsec = uint64_t(st.st_atim.tv_nsec);
  a.mtime_sec = uint64_t(st.st_mtim.tv_sec);
  a.mtime_nsec = uint64_t(st.st_mtim.tv_nsec);
  a.ctime_sec = uint64_t(st.st_ctim.tv_sec);
  a.ctime_nsec = uint64_t(st.st_ctim.tv_nsec);
  return a;
}

// Linux open flags a client may ask for; the rest (O_NOCTTY, O_NOATIME, O_ASYNC...) are dropped.
constexpr uint32_t kOpenFlags = O_ACCMODE | O_TRUNC | O_APPEND | O_DSYNC | O_SYNC | O_DIRECTORY | O_DIRECT;

// What every node and open file of one attach shares: the tree's settings, where parked locks
// wait, and whose budget its descriptors count against.
struct Context {
  bool read_only = false;
  dev_t root_dev = 0;
  Reactor* reactor = nullptr;  // none (unit tests): a blocking lock waits on a worker instead
  std::shared_ptr<p9::Budget> budget;
  bool on_workers = false;  // every call on the worker pool: a slow disk holds up its client only
  SecurityModel model = SecurityModel::none;
  std::shared_ptr<const Identity> acting;  // whose credentials calls run with (null: iohost's)
  uint32_t client_uid = 0;                 // mapped: the owner of what this attach makes
  bool device_nodes = false;
};

Error refused_credentials() {
  return Error{EPERM, "the host did not let iohost take the client's credentials"};
}

// The attach's credentials for one call (`gid`: the group a new file gets, passthrough only);
// returns from the calling function if the kernel did not take them.
#define ACT_AS(context, gid)                                                                  \
  ActingAs acting_as((context).acting.get(),                                                  \
                     (context).model == SecurityModel::passthrough ? gid_t(gid) : gid_t(-1)); \
  if (!acting_as.ok()) return refused_credentials()

// A blocking lock asks again after 5 ms, then ever more slowly (up to 100 ms), for at most 10 s;
// then it answers BLOCKED and the client asks later (Linux's v9fs does).
constexpr uint64_t kLockFirstRetryNs = 5'000'000, kLockMaxRetryNs = 100'000'000, kLockWaitNs = 10'000'000'000;

class ExportFile final : public p9::OpenFile {
 public:
  ExportFile(Fd fd, p9::Charge charge, const Context& context)
      : fd_(std::move(fd)), charge_(std::move(charge)), reactor_(context.reactor),
        mapped_(context.model == SecurityModel::mapped), acting_(context.acting),
        client_uid_(context.client_uid) {}

  Result<size_t> read(uint64_t offset, std::span<std::byte> out) override {
    ssize_t n = ::pread(fd_.get(), out.data(), out.size(), off_t(offset));
    if (n < 0) return sys_error("read");
    return size_t(n);
  }
  // With the client's credentials (passthrough), so that the kernel clears a set-uid bit when
  // someone other than root writes, as it would for a local write.
  Result<size_t> write(uint64_t offset, std::span<const std::byte> in) override {
    ActingAs as(acting_.get());
    if (!as.ok()) return refused_credentials();
    if (mapped_ && !privileges_dropped_) drop_mapped_privileges();
    ssize_t n = ::pwrite(fd_.get(), in.data(), in.size(), off_t(offset));
    if (n < 0) return sys_error("write");
    return size_t(n);
  }
  // ftruncate: through this descriptor, as the client, like write().
  bool truncates() const override { return true; }
  Result<void> truncate(uint64_t size) override {
    ActingAs as(acting_.get());
    if (!as.ok()) return refused_credentials();
    if (mapped_ && !privileges_dropped_) drop_mapped_privileges();
    if (::ftruncate(fd_.get(), off_t(size)) < 0) return sys_error("truncate");
    return {};
  }
  Result<std::vector<p9::DirEntry>> readdir(uint64_t cookie, size_t max_bytes) override {
    if (::lseek(fd_.get(), off_t(cookie), SEEK_SET) < 0) return sys_error("readdir");
    std::vector<p9::DirEntry> out;
    alignas(8) char buffer[32 * 1024];
    size_t used = 0;
    for (;;) {
      long n = syscall(SYS_getdents64, fd_.get(), buffer, sizeof buffer);
      if (n < 0) return sys_error("readdir");
      if (n == 0) return out;
      for (long at = 0; at < n;) {
        struct Dirent64 {
          uint64_t d_ino;
          int64_t d_off;
          unsigned short d_reclen;
          unsigned char d_type;
          char d_name[];
        };
        auto* d = reinterpret_cast<Dirent64*>(buffer + at);
        at += d->d_reclen;
        p9::DirEntry e;
        e.name = d->d_name;
        e.type = mapped_ && d->d_type == DT_REG ? uint8_t(DT_UNKNOWN) : d->d_type;
        e.offset = uint64_t(d->d_off);
        e.qid = {uint8_t(d->d_type == DT_DIR   ? p9::QTDIR
                         : d->d_type == DT_LNK ? p9::QTSYMLINK
                                               : p9::QTFILE),
                 0, d->d_ino};
        used += p9::encoded_size(e);
        if (used > max_bytes) return out;  // the next call starts at the last entry's d_off
        out.push_back(std::move(e));
      }
    }
  }
  Result<void> fsync(bool datasync) override {
    if ((datasync ? ::fdatasync(fd_.get()) : ::fsync(fd_.get())) < 0) return sys_error("fsync");
    return {};
  }
  // Open-file-description locks: they belong to this open, as the client's lock belongs to
  // its fid. A request that may wait (P9_LOCK_FLAGS_BLOCK) parks: no thread waits, the reactor
  // asks again on a timer (without a reactor: a worker asks every 5 ms). Never F_OFD_SETLKW: a
  // holder that never lets go would keep a thread for ever.
  bool lock_parks() const override { return reactor_ != nullptr; }
  p9::Cancel lock_parked(const p9::Lock& l, p9::Done<uint8_t> done) override {
    struct Wait {
      p9::Lock request;
      p9::Done<uint8_t> done;
      uint64_t waited_ns = 0, next_ns = kLockFirstRetryNs;
      Reactor::WaitId timer = 0;
      bool over = false;
    };
    auto wait = std::make_shared<Wait>(Wait{l, std::move(done)});
    Reactor* reactor = reactor_;
    // `this` stays alive while the lock waits: the Session's `done` holds the open file, and
    // the attempt (held by the reactor's timer and by the Cancel) holds `done`. Nothing holds
    // the attempt once it has answered or been cancelled.
    auto attempt = std::make_shared<std::function<void()>>();
    *attempt = [this, wait, reactor, attempt_weak = std::weak_ptr(attempt)] {
      if (wait->over) return;
      struct flock f = to_flock(wait->request);
      if (::fcntl(fd_.get(), F_OFD_SETLK, &f) == 0) {
        wait->over = true;
        return wait->done(p9::P9_LOCK_SUCCESS);
      }
      if (errno != EAGAIN && errno != EACCES) {
        wait->over = true;
        return wait->done(sys_error("lock"));
      }
      if (wait->waited_ns >= kLockWaitNs) {
        wait->over = true;
        return wait->done(p9::P9_LOCK_BLOCKED);
      }
      auto again = attempt_weak.lock();
      if (!again) return;
      wait->timer = reactor->after(wait->next_ns, [again] { (*again)(); });
      wait->waited_ns += wait->next_ns;
      wait->next_ns = std::min(wait->next_ns * 2, kLockMaxRetryNs);
    };
    (*attempt)();
    return [wait, reactor, attempt] {
      wait->over = true;
      if (wait->timer != 0) reactor->cancel(wait->timer);
    };
  }
  Result<uint8_t> lock(const p9::Lock& l) override {
    struct flock f = to_flock(l);
    bool wait = (l.flags & p9::P9_LOCK_FLAGS_BLOCK) && f.l_type != F_UNLCK;
    for (int tries = 0;; ++tries) {
      struct flock attempt = f;
      if (::fcntl(fd_.get(), F_OFD_SETLK, &attempt) == 0) return p9::P9_LOCK_SUCCESS;
      if (errno != EAGAIN && errno != EACCES) return sys_error("lock");
      if (!wait || tries >= 2000) return p9::P9_LOCK_BLOCKED;
      ::usleep(5000);
    }
  }
  Result<p9::Lock> getlock(const p9::Lock& l) override {
    struct flock f = to_flock(l);
    if (::fcntl(fd_.get(), F_OFD_GETLK, &f) < 0) return sys_error("getlock");
    p9::Lock out = l;
    out.type = f.l_type == F_RDLCK   ? p9::P9_LOCK_TYPE_RDLCK
               : f.l_type == F_WRLCK ? p9::P9_LOCK_TYPE_WRLCK
                                     : p9::P9_LOCK_TYPE_UNLCK;
    if (f.l_type != F_UNLCK) {
      out.start = uint64_t(f.l_start);
      out.length = uint64_t(f.l_len);
    }
    return out;
  }

 private:
  static struct flock to_flock(const p9::Lock& l) {
    struct flock f {};
    f.l_type = short(l.type == p9::P9_LOCK_TYPE_RDLCK   ? F_RDLCK
                     : l.type == p9::P9_LOCK_TYPE_WRLCK ? F_WRLCK
                                                        : F_UNLCK);
    f.l_whence = SEEK_SET;
    f.l_start = off_t(l.start);
    f.l_len = off_t(l.length);
    return f;
  }
  // Mapped: a write by anyone but root clears the record's set-uid bit, and its set-gid bit
  // when the group may execute, as Linux does for a local write (once per open file).
  void drop_mapped_privileges() {
    privileges_dropped_ = true;
    if (client_uid_ == 0) return;
    struct stat st;
    if (::fstat(fd_.get(), &st) < 0) return;
    auto record = read_mapped_attr(fd_.get(), st);
    if (!record) return;
    uint32_t drop = S_ISUID | ((record->mode & S_IXGRP) ? S_ISGID : 0);
    if (!(record->mode & drop)) return;
    record->mode &= ~drop;
    write_mapped_attr(fd_.get(), *record);
  }

  Fd fd_;
  p9::Charge charge_;  // the client's budget counts fd_
  Reactor* reactor_;
  bool mapped_;  // a host file may stand for a client's FIFO, link or device: readdir says DT_UNKNOWN
  std::shared_ptr<const Identity> acting_;
  uint32_t client_uid_;
  bool privileges_dropped_ = false;
};

class ExportNode final : public p9::Node {
 public:
  // `type`: what the client sees (a mapped FIFO is a host file); `st`: the host file.
  ExportNode(Fd fd, p9::Charge charge, const struct stat& st, mode_t type, Context context)
      : fd_(std::move(fd)), charge_(std::move(charge)), host_type_(st.st_mode & S_IFMT), type_(type),
        context_(std::move(context)) {
    uint64_t path = st.st_ino;
    if (st.st_dev != context_.root_dev) path ^= uint64_t(st.st_dev) << 40;  // a mount inside the export
    qid_ = {uint8_t(type_ == S_IFDIR ? p9::QTDIR : type_ == S_IFLNK ? p9::QTSYMLINK : p9::QTFILE), 0, path};
  }
  static Result<std::shared_ptr<p9::Node>> make(Fd fd, p9::Charge charge, const Context& context) {
    struct stat st;
    if (::fstatat(fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) return sys_error("stat");
    mode_t type = st.st_mode & S_IFMT;
    if (context.model == SecurityModel::mapped)
      if (auto record = read_mapped_attr(fd.get(), st)) type = record->mode & S_IFMT;
    return std::shared_ptr<p9::Node>(
        std::make_shared<ExportNode>(std::move(fd), std::move(charge), st, type, context));
  }

  p9::Qid qid() override { return qid_; }
  bool blocking() const override { return context_.on_workers; }

  Result<p9::Attr> getattr() override {
    struct stat st;
    if (::fstatat(fd_.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) return sys_error("stat");
    p9::Attr a = attr_from(st, qid_);
    if (auto record = mapped_record(st)) {
      a.uid = record->uid;
      a.gid = record->gid;
      a.mode = record->mode;
      a.rdev = record->rdev;
    }
    return a;
  }

  Result<std::shared_ptr<p9::Node>> walk(std::string_view name) override {
    if (type_ != S_IFDIR) return Error{ENOTDIR, "not a directory"};
    ACT_AS(context_, -1);  // the client's search permission on this directory
    return walk_unchecked(name);
  }

  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t flags) override {
    if (type_ != S_IFREG && type_ != S_IFDIR) return Error{EPERM, "only files and directories can be opened"};
    if (context_.read_only && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))) return rofs();
    p9::Charge charge = TRY(p9::Charge::descriptor(context_.budget));
    ACT_AS(context_, -1);
    // The O_PATH descriptor is this very inode, so its type (checked above) cannot change.
    int fd = ::open(proc_path(fd_.get()).c_str(), int(flags & kOpenFlags) | O_CLOEXEC);
    if (fd < 0) return sys_error("open");
    return std::unique_ptr<p9::OpenFile>(new ExportFile(Fd(fd), std::move(charge), context_));
  }

  Result<void> setattr(const p9::SetAttr& a) override {
    if (context_.read_only) return rofs();
    ACT_AS(context_, -1);
    if (a.valid & (p9::P9_SETATTR_MODE | p9::P9_SETATTR_UID | p9::P9_SETATTR_GID)) {
      struct stat st;
      if (::fstatat(fd_.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) return sys_error("stat");
      if (auto record = mapped_record(st)) {  // the client's view changes, not the host file
        if (a.valid & p9::P9_SETATTR_MODE) record->mode = (record->mode & S_IFMT) | (a.mode & 07777);
        if (a.valid & p9::P9_SETATTR_UID) record->uid = a.uid;
        if (a.valid & p9::P9_SETATTR_GID) record->gid = a.gid;
        if (!write_mapped_attr(fd_.get(), *record)) return sys_error("setattr");
      } else {
        if (auto done = set_host_owner_and_mode(a); !done) return done.error();
      }
    }
    if (a.valid & p9::P9_SETATTR_SIZE) {
      if (type_ != S_IFREG) return Error{EINVAL, "only a file has a size to set"};
      if (::truncate(proc_path(fd_.get()).c_str(), off_t(a.size)) < 0) return sys_error("truncate");
    }
    if (a.valid & (p9::P9_SETATTR_ATIME | p9::P9_SETATTR_MTIME)) {
      struct timespec ts[2];
      auto pick = [&](uint32_t bit, uint32_t set_bit, uint64_t sec, uint64_t nsec, timespec* t) {
        if (!(a.valid & bit))
          *t = {0, UTIME_OMIT};
        else if (a.valid & set_bit)
          *t = {time_t(sec), long(nsec)};
        else
          *t = {0, UTIME_NOW};
      };
      pick(p9::P9_SETATTR_ATIME, p9::P9_SETATTR_ATIME_SET, a.atime_sec, a.atime_nsec, &ts[0]);
      pick(p9::P9_SETATTR_MTIME, p9::P9_SETATTR_MTIME_SET, a.mtime_sec, a.mtime_nsec, &ts[1]);
      // On the descriptor itself: a link's own times, a FIFO's without opening it.
      if (::utimensat(fd_.get(), "", ts, AT_EMPTY_PATH) < 0) return sys_error("utimes");
    }
    return {};
  }

  Result<p9::Created> create(std::string_view name, uint32_t flags, uint32_t mode, uint32_t gid) override {
    if (context_.read_only) return rofs();
    std::string n(name);
    p9::Charge file_charge = TRY(p9::Charge::descriptor(context_.budget));
    p9::Charge node_charge = TRY(p9::Charge::descriptor(context_.budget));
    ACT_AS(context_, gid);
    // Without O_EXCL the name may be a FIFO or a device already there: never open one
    // without O_NONBLOCK (a FIFO would wait for a writer, on iohost's loop, for everyone:
    // QEMU's CVE-2023-2861), and never keep one open. No O_TRUNC before the type is known.
    struct stat st;
    if (::fstatat(fd_.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
        !(flags & O_EXCL))
      return not_a_file(n, st.st_mode);
    int open_flags = int(flags & (kOpenFlags | O_EXCL)) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    bool mapped = this->mapped(), made = true;
    // Mapped: know whether this call made the file (only then is the record the client's).
    int fd = ::openat(fd_.get(), n.c_str(), open_flags | O_CREAT | (mapped ? O_EXCL : 0),
                      mapped ? 0600 : host_mode(mode));
    if (fd < 0 && mapped && errno == EEXIST && !(flags & O_EXCL)) {
      made = false;
      fd = ::openat(fd_.get(), n.c_str(), open_flags);
    }
    if (fd < 0) return sys_error("create");
    Fd file(fd);
    if (::fstat(fd, &st) < 0) return sys_error("create");
    if (!S_ISREG(st.st_mode)) return not_a_file(n, st.st_mode);  // swapped in since the check
    if (mapped && made && !write_mapped_attr(fd, made_here(S_IFREG | (mode & 07777), gid))) {
      Error e = sys_error("create: the mapped record");
      ::unlinkat(fd_.get(), n.c_str(), 0);
      return e;
    }
    if (mapped && !made)
      if (auto record = read_mapped_attr(fd, st); record && (record->mode & S_IFMT) != S_IFREG)
        return not_a_file(n, record->mode);  // a client's FIFO or device, a plain file on the host
    if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) return sys_error("create");
    // The node is the file just opened, not whatever the name means a moment later.
    int path_fd = ::open(proc_path(fd).c_str(), O_PATH | O_CLOEXEC);
    if (path_fd < 0) return sys_error("create");
    p9::Created c;
    c.node = TRY(make(Fd(path_fd), std::move(node_charge), context_));
    c.file.reset(new ExportFile(std::move(file), std::move(file_charge), context_));
    return c;
  }

  Result<std::shared_ptr<p9::Node>> mkdir(std::string_view name, uint32_t mode, uint32_t gid) override {
    if (context_.read_only) return rofs();
    std::string n(name);
    ACT_AS(context_, gid);
    bool mapped = context_.model == SecurityModel::mapped;
    if (::mkdirat(fd_.get(), n.c_str(), mapped ? 0700 : host_mode(mode)) < 0) return sys_error("mkdir");
    if (!mapped) return walk_unchecked(name);
    return record_made(n, TRY(walk_unchecked(name)), made_here(S_IFDIR | (mode & 07777), gid), AT_REMOVEDIR);
  }

  Result<std::shared_ptr<p9::Node>> symlink(std::string_view name, std::string_view target,
                                            uint32_t gid) override {
    if (context_.read_only) return rofs();
    ACT_AS(context_, gid);
    // The target is only text to the server: nothing here ever follows it.
    if (context_.model == SecurityModel::mapped)
      return make_mapped_file(std::string(name), made_here(S_IFLNK | 0777, gid), target);
    if (::symlinkat(std::string(target).c_str(), fd_.get(), std::string(name).c_str()) < 0)
      return sys_error("symlink");
    return walk_unchecked(name);
  }

  Result<std::shared_ptr<p9::Node>> mknod(std::string_view name, uint32_t mode, uint32_t major,
                                          uint32_t minor, uint32_t gid) override {
    if (context_.read_only) return rofs();
    uint32_t type = mode & S_IFMT;
    if (type == 0) type = S_IFREG;
    bool device = type == S_IFCHR || type == S_IFBLK;
    if (type != S_IFIFO && type != S_IFSOCK && type != S_IFREG && !device)
      return Error{EINVAL, "mknod: not a type of file"};
    ACT_AS(context_, gid);
    if (context_.model == SecurityModel::mapped) {  // only a record says what it is: harmless
      MappedAttr record = made_here(type | (mode & 07777), gid);
      if (device) record.rdev = makedev(major, minor);
      return make_mapped_file(std::string(name), record, {});
    }
    if (device && !(context_.model == SecurityModel::passthrough && context_.device_nodes))
      return Error{EPERM, "device nodes may not be made here (passthrough with device_nodes allows them)"};
    if (::mknodat(fd_.get(), std::string(name).c_str(), type | host_mode(mode),
                  device ? makedev(major, minor) : 0) < 0)
      return sys_error("mknod");
    return walk_unchecked(name);
  }

  Result<std::string> readlink() override {
    if (type_ != S_IFLNK) return Error{EINVAL, "not a symbolic link"};
    char buffer[4096];
    ssize_t n;
    if (host_type_ == S_IFLNK) {
      n = ::readlinkat(fd_.get(), "", buffer, sizeof buffer);
    } else {  // mapped: the target is the host file's content
      Fd file(::open(proc_path(fd_.get()).c_str(),
                     O_RDONLY | O_NONBLOCK | O_CLOEXEC));  // this inode: a host file
      if (!file.valid()) return sys_error("readlink");
      n = ::pread(file.get(), buffer, sizeof buffer, 0);
      if (n == ssize_t(sizeof buffer)) return Error{ENAMETOOLONG, "readlink: the mapped target is too long"};
    }
    if (n < 0) return sys_error("readlink");
    return std::string(buffer, size_t(n));
  }

  Result<void> link(std::string_view name, p9::Node& target) override {
    if (context_.read_only) return rofs();
    auto& t = static_cast<ExportNode&>(target);  // the Session gives only nodes of this tree
    std::string n(name);
    ACT_AS(context_, -1);
    if (::linkat(t.fd_.get(), "", fd_.get(), n.c_str(), AT_EMPTY_PATH) < 0) {
      if (errno != ENOENT || t.host_type_ == S_IFLNK) return sys_error("link");
      // Without CAP_DAC_READ_SEARCH, AT_EMPTY_PATH says ENOENT; /proc reaches the same inode.
      if (::linkat(AT_FDCWD, proc_path(t.fd_.get()).c_str(), fd_.get(), n.c_str(), AT_SYMLINK_FOLLOW) < 0)
        return sys_error("link");
    }
    return {};
  }

  Result<void> unlink(std::string_view name, bool directory) override {
    if (context_.read_only) return rofs();
    ACT_AS(context_, -1);
    if (::unlinkat(fd_.get(), std::string(name).c_str(), directory ? AT_REMOVEDIR : 0) < 0) {
      if (!directory && errno == EISDIR) {  // Tremove of a directory through Tunlinkat's flags-less form
        if (::unlinkat(fd_.get(), std::string(name).c_str(), AT_REMOVEDIR) == 0) return {};
      }
      return sys_error("remove");
    }
    return {};
  }

  Result<void> rename(std::string_view name, p9::Node& to_dir, std::string_view to_name) override {
    if (context_.read_only) return rofs();
    auto& d = static_cast<ExportNode&>(to_dir);
    ACT_AS(context_, -1);
    if (::renameat(fd_.get(), std::string(name).c_str(), d.fd_.get(), std::string(to_name).c_str()) < 0)
      return sys_error("rename");
    return {};
  }

  Result<p9::StatFs> statfs() override {
    struct statfs s;
    if (::fstatfs(fd_.get(), &s) < 0) return sys_error("statfs");
    p9::StatFs out;
    out.type = uint32_t(s.f_type);
    out.bsize = uint32_t(s.f_bsize);
    out.blocks = s.f_blocks;
    out.bfree = s.f_bfree;
    out.bavail = s.f_bavail;
    out.files = s.f_files;
    out.ffree = s.f_ffree;
    out.fsid = uint64_t(uint32_t(s.f_fsid.__val[0])) | uint64_t(uint32_t(s.f_fsid.__val[1])) << 32;
    out.namelen = uint32_t(s.f_namelen);
    return out;
  }

 private:
  static Error rofs() { return Error{EROFS, "read-only file system"}; }
  static Error not_a_file(const std::string& name, mode_t mode) {
    const char* what = S_ISFIFO(mode)   ? "a FIFO"
                       : S_ISSOCK(mode) ? "a socket"
                       : S_ISDIR(mode)  ? "a directory"
                       : S_ISLNK(mode)  ? "a symbolic link"
                                        : "a device";
    return Error{S_ISDIR(mode) ? EISDIR : EPERM,
                 "create: \"" + name + "\" is " + what + ": only files and directories can be opened"};
  }

  // The permission bits a client's mode becomes on the host: set-uid and set-gid only where
  // the client is trusted with them (passthrough); the sticky bit everywhere.
  mode_t host_mode(uint32_t mode) const {
    return mode_t(mode & (context_.model == SecurityModel::passthrough ? 07777 : 01777));
  }

  bool mapped() const { return context_.model == SecurityModel::mapped; }
  // Mapped: the record of this node's host file (st), if it has a trustworthy one.
  std::optional<MappedAttr> mapped_record(const struct stat& st) const {
    if (context_.model != SecurityModel::mapped) return std::nullopt;
    return read_mapped_attr(fd_.get(), st);
  }
  MappedAttr made_here(uint32_t mode, uint32_t gid) const { return {context_.client_uid, gid, mode, 0}; }

  // chmod and chown of the host file itself (none, passthrough, and a mapped export's files
  // that have no record). A FIFO or socket through its O_PATH descriptor, never opened.
  Result<void> set_host_owner_and_mode(const p9::SetAttr& a) {
    if (a.valid & p9::P9_SETATTR_MODE) {
      if (host_type_ == S_IFLNK) return Error{EOPNOTSUPP, "the mode of a symbolic link cannot be changed"};
      // /proc/self/fd/N reaches the inode itself (the type is not a link: nothing else is followed).
      if (::fchmodat(AT_FDCWD, proc_path(fd_.get()).c_str(), host_mode(a.mode), 0) < 0)
        return sys_error("chmod");
    }
    if (a.valid & (p9::P9_SETATTR_UID | p9::P9_SETATTR_GID)) {
      uid_t uid = (a.valid & p9::P9_SETATTR_UID) ? uid_t(a.uid) : uid_t(-1);
      gid_t gid = (a.valid & p9::P9_SETATTR_GID) ? gid_t(a.gid) : gid_t(-1);
      // Passthrough: the owner giving its file to one of its groups. 9P2000.L does not carry a
      // client user's supplementary groups, and the host's idea of them may differ, so the
      // client's own check stands (Linux's did it, with the real groups, before sending):
      // passthrough trusts the uid and gids a client names anyway. Done with iohost's own
      // credentials; only the group changes (a uid change is never done so).
      struct stat st;
      if (::fstatat(fd_.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) return sys_error("chown");
      bool owners_group_change = context_.model == SecurityModel::passthrough && context_.acting &&
                                 st.st_uid == context_.acting->uid &&
                                 (uid == uid_t(-1) || uid == st.st_uid) && gid != gid_t(-1);
      if (owners_group_change) {
        ActingAs as_iohost(nullptr);
        if (!as_iohost.ok()) return refused_credentials();
        if (::fchownat(fd_.get(), "", uid_t(-1), gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
          return sys_error("chown");
      } else if (::fchownat(fd_.get(), "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
        return sys_error("chown");
      }
    }
    return {};
  }

  // A lookup with whatever credentials the caller holds now.
  Result<std::shared_ptr<p9::Node>> walk_unchecked(std::string_view name) {
    p9::Charge charge = TRY(p9::Charge::descriptor(context_.budget));  // a node holds an O_PATH descriptor
    return make(TRY(lookup(fd_.get(), name)), std::move(charge), context_);
  }

  // Mapped: writes the record of `node`, just made as `name`; on failure removes it again.
  Result<std::shared_ptr<p9::Node>> record_made(const std::string& name, std::shared_ptr<p9::Node> node,
                                                const MappedAttr& record, int unlink_flags) {
    if (write_mapped_attr(static_cast<ExportNode&>(*node).fd_.get(), record)) return walk_unchecked(name);
    Error e = sys_error("the mapped record");
    ::unlinkat(fd_.get(), name.c_str(), unlink_flags);
    return e;
  }

  // Mapped: a plain host file standing for a link, FIFO, socket or device, `content` in it.
  Result<std::shared_ptr<p9::Node>> make_mapped_file(const std::string& name, const MappedAttr& record,
                                                     std::string_view content) {
    Fd file(::openat(fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file.valid()) return sys_error("create");
    bool written = true;
    if (!content.empty())
      written = ::write(file.get(), content.data(), content.size()) == ssize_t(content.size());
    if (!written || !write_mapped_attr(file.get(), record)) {
      Error e = sys_error("create: the mapped record");
      ::unlinkat(fd_.get(), name.c_str(), 0);
      return e;
    }
    return walk_unchecked(name);
  }

  Fd fd_;
  p9::Charge charge_;  // the client's budget counts fd_
  mode_t host_type_;   // the host file's type
  mode_t type_;        // the type the client sees: the host's, or a mapped record's
  Context context_;    // the tree's settings, and whose nodes and files these are
  p9::Qid qid_;
};

}  // namespace

const char* name_of(SecurityModel model) {
  switch (model) {
    case SecurityModel::none: return "none";
    case SecurityModel::passthrough: return "passthrough";
    case SecurityModel::mapped: return "mapped";
  }
  return "?";
}

Result<ExportSpec> parse_export(std::string_view text) {
  ExportSpec spec;
  if (text.starts_with("ro:")) {
    spec.options.read_only = true;
    text.remove_prefix(3);
  }
  size_t eq = text.find('='), comma = text.find(',');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size() || comma < eq)
    return Error{EINVAL, "--export wants [ro:]NAME=DIR[,OPTION...]"};
  spec.name = std::string(text.substr(0, eq));
  spec.dir = std::string(
      text.substr(eq + 1, comma == std::string_view::npos ? std::string_view::npos : comma - eq - 1));
  if (spec.dir.empty()) return Error{EINVAL, "--export " + spec.name + ": no folder"};
  ExportOptions& o = spec.options;
  while (comma != std::string_view::npos) {
    size_t next = text.find(',', comma + 1);
    std::string option(
        text.substr(comma + 1, next == std::string_view::npos ? std::string_view::npos : next - comma - 1));
    auto id = [&](size_t prefix) -> Result<uint32_t> {
      auto v = common::parse_decimal(std::string_view(option).substr(prefix),
                                     UINT32_MAX - 1);  // -1 means "unchanged"
      if (!v) return Error{EINVAL, "--export " + spec.name + ": " + option + ": not a number"};
      return uint32_t(*v);
    };
    if (option == "security_model=none") {
      o.model = SecurityModel::none;
    } else if (option == "security_model=passthrough") {
      o.model = SecurityModel::passthrough;
    } else if (option == "security_model=mapped" || option == "security_model=mapped-xattr") {
      o.model = SecurityModel::mapped;
    } else if (option.starts_with("uid=")) {
      o.uid = TRY(id(4));
    } else if (option.starts_with("gid=")) {
      o.gid = TRY(id(4));
    } else if (option == "device_nodes") {
      o.device_nodes = true;
    } else {
      return Error{EINVAL, "--export " + spec.name + ": unknown option \"" + option +
                               "\" (security_model=none|passthrough|mapped, uid=N, gid=N, device_nodes)"};
    }
    comma = next;
  }
  if ((o.uid || o.gid) && o.model != SecurityModel::none)
    return Error{EINVAL, "--export " + spec.name +
                             ": uid= and gid= are for security_model=none (passthrough "
                             "acts as each client's user; mapped as iohost's)"};
  if (o.device_nodes && o.model != SecurityModel::passthrough)
    return Error{EINVAL, "--export " + spec.name + ": device_nodes is for security_model=passthrough"};
  return spec;
}

Result<std::shared_ptr<ExportTree>> ExportTree::open(const std::string& dir, const ExportOptions& options,
                                                     Reactor* reactor, bool on_workers) {
  auto failed = [&](const std::string& why) { return Error{errno, "export " + dir + ": " + why}; };
  int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return failed(std::strerror(errno));
  Fd root(fd);
  struct stat st;
  if (::fstat(fd, &st) < 0) return failed(std::strerror(errno));
  bool switches = options.model == SecurityModel::passthrough || options.uid || options.gid;
  if (switches && ::geteuid() != 0) {
    errno = EPERM;
    return failed(std::string(options.model == SecurityModel::passthrough ? "security_model=passthrough"
                                                                          : "uid= and gid=") +
                  " need iohost to run as root (it takes other users' credentials)");
  }
  if (options.model == SecurityModel::mapped) {
    // Refused now, not at a client's first mkdir: the folder's file system must keep user.*
    // extended attributes (tmpfs before Linux 6.6 does not).
    std::string path = proc_path(fd);
    // Not an empty value: Linux's v9fs takes a zero-length set for a removal (ENODATA).
    if (::setxattr(path.c_str(), "user.xenos.probe", "1", 1, 0) < 0)
      return failed(std::string("security_model=mapped needs user extended attributes, and this folder's "
                                "file system refuses them: ") +
                    std::strerror(errno));
    ::removexattr(path.c_str(), "user.xenos.probe");
  }
  return std::shared_ptr<ExportTree>(
      new ExportTree(std::move(root), options, st.st_dev, reactor, on_workers));
}

Result<uid_t> ExportTree::uid_of(const p9::Caller& caller) {
  if (caller.n_uname != p9::NONUNAME) return uid_t(caller.n_uname);
  auto who = Identity::of_name(caller.uname);
  if (!who) return Error{EACCES, "attach: " + who.error().message};
  return who->uid;
}

constexpr size_t kMaxCachedIdentities = 1024;

Result<std::shared_ptr<const Identity>> ExportTree::acting_for(const p9::Caller& caller) {
  switch (options_.model) {
    case SecurityModel::mapped: return std::shared_ptr<const Identity>();
    case SecurityModel::none: {
      if (!options_.uid && !options_.gid) return std::shared_ptr<const Identity>();
      std::lock_guard hold(identities_lock_);
      auto& squashed = identities_[0];  // the one identity of a squashed export
      if (!squashed) {
        Identity who = options_.uid ? Identity::of_user(*options_.uid) : Identity::process();
        if (options_.gid) who.gid = *options_.gid;
        if (!options_.uid) who.groups.clear();
        squashed = std::make_shared<const Identity>(std::move(who));
      }
      return squashed;
    }
    case SecurityModel::passthrough: {
      uid_t uid = TRY(uid_of(caller));
      std::lock_guard hold(identities_lock_);
      if (auto known = identities_.find(uid); known != identities_.end()) return known->second;
      auto made = std::make_shared<const Identity>(Identity::of_user(uid));
      // A client names any uid it likes: the cache stays bounded (past it, each attach of a new
      // uid gets its own identity, held only by that attach's nodes).
      if (identities_.size() < kMaxCachedIdentities) identities_.emplace(uid, made);
      return made;
    }
  }
  return std::shared_ptr<const Identity>();
}

Result<std::shared_ptr<p9::Node>> ExportTree::attach(const p9::Caller& caller) {
  p9::Charge charge = TRY(p9::Charge::descriptor(caller.budget));
  Context context{options_.read_only,      root_dev_,   reactor_,
                  caller.budget,           on_workers_, options_.model,
                  TRY(acting_for(caller)), 0,           options_.device_nodes};
  if (options_.model == SecurityModel::mapped) {
    auto uid = uid_of(caller);
    context.client_uid = uid ? uint32_t(*uid) : 65534;  // a name the host does not know: nobody
  }
  int fd = ::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return sys_error("attach");
  return ExportNode::make(Fd(fd), std::move(charge), context);
}

}  // namespace iohost
