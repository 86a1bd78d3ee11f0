// newlib's file system calls on the namespace: a growing descriptor table whose entries are
// open files of some FileServer, with offsets and flags, shared by dup(). errno comes from the
// server's error (a 9P error's errno, or the namespace's own).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>
#include <vector>
#include "console.h"
#include "ns/boot_namespace.h"
#include "posix/fail.h"
#include "posix/files.h"
#include "posix/record_locks.h"
#include "xenos/namespace.h"
#include "xenos/time.h"

// errno: posix/fail.h.

namespace posix {

struct Description {
  xenos::Owned<ns::OpenFile> file;  // empty for a directory opened with open()
  std::string path;                 // clean, absolute
  uint64_t offset = 0;
  int flags = 0;  // O_* as given
  bool is_dir = false;
  // O_APPEND on a file whose server appends by itself: the offset is the file's end, asked for
  // (one stat) only when something needs it, not after every write.
  bool offset_is_end = false;
  int refs = 1;
  Socket* socket = nullptr;  // the same object as `file`, when it is a socket
};

namespace {

std::vector<Description*>* table;

Description* get(int fd) {
  if (!table || fd < 0 || size_t(fd) >= table->size()) return nullptr;
  return (*table)[size_t(fd)];
}

int install(Description* d, int lowest = 0) {
  if (!table) table = new std::vector<Description*>;
  for (size_t i = size_t(lowest); i < table->size(); ++i) {
    if (!(*table)[i]) {
      (*table)[i] = d;
      return int(i);
    }
  }
  while (table->size() < size_t(lowest)) table->push_back(nullptr);
  table->push_back(d);  // the table grows: no fixed limit on descriptors
  return int(table->size() - 1);
}

// The description's offset, fetched from the server when it is the file's end (see above).
std::optional<int> settle_offset(Description* d) {
  if (!d->offset_is_end) return std::nullopt;
  auto a = d->file->stat();
  if (!a) return a.error().code ? a.error().code : EIO;
  d->offset = a->size;
  d->offset_is_end = false;
  return std::nullopt;
}

void release(Description* d) {
  if (--d->refs == 0) delete d;  // closes the server's file
}

// A description held for the length of a call: another thread may close() the descriptor
// while this call waits on the I/O host, and the description (and its file) must outlive it.
class Held {
 public:
  explicit Held(int fd) : d_(get(fd)) {
    if (d_) ++d_->refs;
  }
  ~Held() {
    if (d_) release(d_);
  }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  Description* operator->() const { return d_; }
  Description* description() const { return d_; }
  explicit operator bool() const { return d_ != nullptr; }

 private:
  Description* d_;
};

uint32_t ns_mode(int flags) {
  uint32_t m = (flags & O_ACCMODE) == O_RDWR     ? ns::kReadWrite
               : (flags & O_ACCMODE) == O_WRONLY ? ns::kWrite
                                                 : ns::kRead;
  if (flags & O_CREAT) m |= ns::kCreate;
  if (flags & O_EXCL) m |= ns::kExclusive;
  if (flags & O_TRUNC) m |= ns::kTruncate;
  if (flags & O_APPEND) m |= ns::kAppend;
  if (flags & O_DIRECTORY) m |= ns::kDirectory;
  if (flags & O_NOFOLLOW) m |= ns::kNoFollow;
  return m;
}

void fill_stat(const ns::Attr& a, struct stat* st) {
  *st = {};
  st->st_mode = a.mode;
  st->st_size = off_t(a.size);
  st->st_ino = ino_t(a.inode);
  st->st_nlink = nlink_t(a.nlink);
  st->st_uid = uid_t(a.uid);
  st->st_gid = gid_t(a.gid);
  st->st_atime = time_t(a.atime);
  st->st_mtime = time_t(a.mtime);
  st->st_ctime = time_t(a.ctime);
  // What stdio buffers per FILE (newlib is built with HAVE_BLKSIZE): for a file, 128 KiB, a
  // quarter of the largest 9P message at ring order 9, so a program reading or writing through
  // stdio in small pieces still makes one round trip per 128 KiB; for a device (the console,
  // /dev/null), a page, as before.
  st->st_blksize = (a.mode & ns::kModeTypeMask) == ns::kModeFile ? 128 * 1024 : 4096;
  st->st_blocks = blkcnt_t((a.size + 511) / 512);
}

int stat_path(const char* path, struct stat* st, bool follow) {
  if (!path) return fail(EFAULT);
  auto a = follow ? ns::root().stat(path) : ns::root().lstat(path);
  if (!a) return fail(a.error());
  fill_stat(*a, st);
  return 0;
}

}  // namespace

void open_standard_descriptors() {
  for (int fd = 0; fd < 3; ++fd) {
    auto cons = ns::root().open("/dev/cons", ns::kReadWrite, 0);
    if (!cons) return;
    auto* d = new Description;
    d->file = std::move(*cons);
    d->path = "/dev/cons";
    d->flags = fd == 0 ? O_RDONLY : O_WRONLY;
    install(d, fd);
  }
}

int install_socket(xenos::Owned<ns::OpenFile> file, Socket* socket, int flags) {
  auto* d = new Description;
  d->file = std::move(file);
  d->path = "socket";
  d->flags = O_RDWR | flags;
  d->socket = socket;
  return install(d);
}

Socket* socket_of(int fd) {
  Description* d = get(fd);
  return d ? d->socket : nullptr;
}

SocketRef::SocketRef(int fd) : d_(posix::get(fd)) {
  if (d_ && d_->socket)
    ++d_->refs;
  else
    d_ = nullptr;
}
SocketRef::~SocketRef() {
  if (d_) release(d_);
}
Socket* SocketRef::get() const { return d_ ? d_->socket : nullptr; }

std::vector<ns::Entry>* list_directory(int fd, int* error) {
  Description* d = get(fd);
  if (!d) return *error = EBADF, nullptr;
  if (!d->is_dir) return *error = ENOTDIR, nullptr;
  auto entries = ns::root().list(d->path);
  if (!entries) return *error = entries.error().code, nullptr;
  return new std::vector<ns::Entry>(std::move(*entries));
}

}  // namespace posix

using posix::fail;
using posix::get;

extern "C" {

int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list args;
    va_start(args, flags);
    mode = mode_t(va_arg(args, int));
    va_end(args);
  }
  if (!path) return fail(EFAULT);
  std::string clean = ns::clean_path(path, ns::root().cwd());
  auto install_file = [&](xenos::Owned<ns::OpenFile> file) {
    auto* d = new posix::Description;
    d->file = std::move(file);
    d->path = clean;
    d->flags = flags;
    return posix::install(d);
  };
  // Most opens name a file: ask the namespace to open it straight away (one walk and an open
  // on a 9P share; issue 33). A directory, which needs no open file here, and the errors that
  // may be about one are sorted out below, by what the path names.
  if (!(flags & O_DIRECTORY)) {
    auto file = ns::root().open(clean, posix::ns_mode(flags), mode & 07777);
    if (file && !(*file)->is_directory()) return install_file(std::move(*file));
    if (!file && file.error().code != EISDIR) return fail(file.error());
  }
  bool own_link = (flags & O_NOFOLLOW) || ((flags & O_CREAT) && (flags & O_EXCL));  // not followed
  auto attr = own_link ? ns::root().lstat(clean) : ns::root().stat(clean);
  if (attr && attr->is_dir()) {  // a directory: no file to open, but stat, fchdir and readdir work
    if ((flags & O_ACCMODE) != O_RDONLY) return fail(EISDIR);
    if ((flags & O_CREAT) && (flags & O_EXCL)) return fail(EEXIST);
    auto real = ns::root().real_path(clean);
    if (!real) return fail(real.error());
    auto* d = new posix::Description;
    d->path = *real;
    d->flags = flags;
    d->is_dir = true;
    return posix::install(d);
  }
  if (!attr && attr.error().code != ENOENT) return fail(attr.error());
  if (flags & O_DIRECTORY) return fail(attr ? ENOTDIR : ENOENT);
  auto file = ns::root().open(clean, posix::ns_mode(flags), mode & 07777);
  if (!file) return fail(file.error());
  return install_file(std::move(*file));
}

int close(int fd) {
  posix::Description* d = get(fd);
  if (!d) return fail(EBADF);
  posix::release_record_locks({d->file.get(), d->path, d->offset, d->flags});
  (*posix::table)[size_t(fd)] = nullptr;
  posix::release(d);
  return 0;
}

ssize_t pread(int fd, void* buffer, size_t count, off_t offset) {
  posix::Held d(fd);
  if (!d || (d->flags & O_ACCMODE) == O_WRONLY) return fail(EBADF);
  if (d->is_dir) return fail(EISDIR);
  if (offset < 0) return fail(EINVAL);
  auto n = d->file->read({static_cast<std::byte*>(buffer), count}, uint64_t(offset));
  if (!n) return fail(n.error());
  return ssize_t(*n);
}

ssize_t pwrite(int fd, const void* buffer, size_t count, off_t offset) {
  posix::Held d(fd);
  if (!d || (d->flags & O_ACCMODE) == O_RDONLY) return fail(EBADF);
  if (offset < 0) return fail(EINVAL);
  auto n = d->file->write({static_cast<const std::byte*>(buffer), count}, uint64_t(offset));
  if (!n) return fail(n.error());
  return ssize_t(*n);
}

int read(int fd, void* buffer, size_t count) {
  posix::Held d(fd);
  if (!d) return fail(EBADF);
  if (d && d->file)
    if (auto error = posix::settle_offset(d.description())) return fail(*error);
  ssize_t n = pread(fd, buffer, count, off_t(d->offset));
  if (n > 0) d->offset += uint64_t(n);
  return int(n);
}

int write(int fd, const void* buffer, size_t count) {
  posix::Held d(fd);
  if (!d) {
    // Before the namespace exists (early boot, or an app that closed them) 1 and 2 still reach
    // the console, so nothing printed is lost.
    if ((fd == 1 || fd == 2) && !posix::table) {
      kernel::console_write({static_cast<const char*>(buffer), count});
      return int(count);
    }
    return fail(EBADF);
  }
  bool server_appends = (d->flags & O_APPEND) && d->file && d->file->appends();
  if ((d->flags & O_APPEND) && !server_appends) {
    // A directory opened with open() has no file to stat (O_RDONLY|O_APPEND on one reached
    // stat() through an empty Owned: issue 31 item 2). Nothing without a file is writable.
    if (!d->file) return fail(EBADF);
    auto a = d->file->stat();
    if (!a) return fail(a.error());
    d->offset = a->size;
  }
  ssize_t n = pwrite(fd, buffer, count, off_t(d->offset));
  if (n > 0) d->offset += uint64_t(n);
  if (n > 0 && server_appends) d->offset_is_end = true;
  return int(n);
}

off_t lseek(int fd, off_t offset, int whence) {
  posix::Held d(fd);
  if (!d) return fail(EBADF);
  if ((d->file && d->file->is_terminal()) || d->socket) return fail(ESPIPE);
  int64_t base = 0;
  if (whence == SEEK_CUR) {
    if (d->file)
      if (auto error = posix::settle_offset(d.description())) return fail(*error);
    base = int64_t(d->offset);
  } else if (whence == SEEK_END) {
    if (d->is_dir) return fail(EINVAL);
    auto a = d->file->stat();
    if (!a) return fail(a.error());
    base = int64_t(a->size);
  } else if (whence != SEEK_SET) {
    return fail(EINVAL);
  }
  if (base + offset < 0) return fail(EINVAL);
  d->offset = uint64_t(base + offset);
  d->offset_is_end = false;
  return off_t(d->offset);
}

int fstat(int fd, struct stat* st) {
  posix::Held d(fd);
  if (!d) {
    if (fd >= 0 && fd <= 2 && !posix::table) {  // the early console
      *st = {};
      st->st_mode = S_IFCHR | 0620;
      return 0;
    }
    return fail(EBADF);
  }
  auto a = d->is_dir ? ns::root().stat(d->path) : d->file->stat();
  if (!a) return fail(a.error());
  posix::fill_stat(*a, st);
  return 0;
}

int stat(const char* path, struct stat* st) { return posix::stat_path(path, st, true); }
int lstat(const char* path, struct stat* st) { return posix::stat_path(path, st, false); }

int symlink(const char* target, const char* link_path) {
  if (!target || !link_path) return fail(EFAULT);
  if (!*target || !*link_path) return fail(ENOENT);
  auto r = ns::root().symlink(target, link_path);
  return r ? 0 : fail(r.error());
}

// As POSIX: the target's bytes, not NUL-terminated, cut at `size` (the caller sees the cut by
// a result equal to its size, as on Linux).
ssize_t readlink(const char* path, char* buffer, size_t size) {
  if (!path || !buffer) return fail(EFAULT);
  if (size == 0) return fail(EINVAL);
  auto target = ns::root().readlink(path);
  if (!target) return fail(target.error());
  size_t n = std::min(size, target->size());
  std::memcpy(buffer, target->data(), n);
  return ssize_t(n);
}

char* realpath(const char* path, char* resolved) {
  if (!path) return errno = EINVAL, nullptr;
  if (!*path) return errno = ENOENT, nullptr;
  auto real = ns::root().real_path(path);
  if (!real) return errno = real.error().code ? real.error().code : EIO, nullptr;
  if (real->size() >= PATH_MAX) return errno = ENAMETOOLONG, nullptr;
  if (!resolved) {
    resolved = static_cast<char*>(malloc(real->size() + 1));
    if (!resolved) return errno = ENOMEM, nullptr;
  }
  std::memcpy(resolved, real->c_str(), real->size() + 1);
  return resolved;
}

int isatty(int fd) {
  posix::Description* d = get(fd);
  if (!d) {
    if (fd >= 0 && fd <= 2 && !posix::table) return 1;
    errno = EBADF;
    return 0;
  }
  if (d->file && d->file->is_terminal()) return 1;
  errno = ENOTTY;
  return 0;
}

int fsync(int fd) {
  posix::Held d(fd);
  if (!d) return fail(EBADF);
  if (d->is_dir) return 0;
  auto r = d->file->sync();
  return r ? 0 : fail(r.error());
}

int ftruncate(int fd, off_t size) {
  posix::Held d(fd);
  if (!d || (d->flags & O_ACCMODE) == O_RDONLY) return fail(EBADF);
  if (size < 0) return fail(EINVAL);
  auto r = d->file->truncate(uint64_t(size));
  return r ? 0 : fail(r.error());
}

int truncate(const char* path, off_t size) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  int r = ftruncate(fd, size);
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

int unlink(const char* path) {
  auto a = ns::root().lstat(path);
  if (!a) return fail(a.error());
  if (a->is_dir()) return fail(EISDIR);
  auto r = ns::root().remove(path);
  return r ? 0 : fail(r.error());
}

int rmdir(const char* path) {
  auto a = ns::root().lstat(path);
  if (!a) return fail(a.error());
  if (!a->is_dir()) return fail(ENOTDIR);
  auto r = ns::root().remove(path);
  return r ? 0 : fail(r.error());
}

int mkdir(const char* path, mode_t mode) {
  auto r = ns::root().mkdir(path, mode & 07777);
  return r ? 0 : fail(r.error());
}

// newlib's own rename() would try link() and unlink(); 9P renames directly.
int rename(const char* from, const char* to) {
  auto r = ns::root().rename(from, to);
  return r ? 0 : fail(r.error());
}

char* getcwd(char* buffer, size_t size) {
  std::string cwd = ns::root().cwd();
  if (!buffer) {
    buffer = static_cast<char*>(malloc(cwd.size() + 1));
    if (!buffer) return errno = ENOMEM, nullptr;
    size = cwd.size() + 1;
  }
  if (size < cwd.size() + 1) return errno = ERANGE, nullptr;
  std::memcpy(buffer, cwd.c_str(), cwd.size() + 1);
  return buffer;
}

int chdir(const char* path) {
  auto r = ns::root().chdir(path);
  return r ? 0 : fail(r.error());
}

int dup(int fd) {
  posix::Description* d = get(fd);
  if (!d) return fail(EBADF);
  ++d->refs;
  return posix::install(d);
}

int dup2(int fd, int to) {
  posix::Description* d = get(fd);
  if (!d || to < 0) return fail(EBADF);
  if (fd == to) return to;
  if (get(to)) close(to);
  ++d->refs;
  while (posix::table->size() <= size_t(to)) posix::table->push_back(nullptr);
  (*posix::table)[size_t(to)] = d;
  return to;
}

int fcntl(int fd, int command, ...) {
  posix::Description* d = get(fd);
  if (!d) return fail(EBADF);
  va_list args;
  va_start(args, command);
  if (command == F_GETLK || command == F_SETLK || command == F_SETLKW) {
    auto* lock = va_arg(args, struct flock*);
    va_end(args);
    return posix::record_lock({d->file.get(), d->path, d->offset, d->flags}, command, lock);
  }
  int arg = command == F_DUPFD || command == F_SETFL || command == F_SETFD ? va_arg(args, int) : 0;
  va_end(args);
  switch (command) {
    case F_DUPFD: ++d->refs; return posix::install(d, arg);
    case F_GETFL: return d->flags;
    case F_SETFL:
      d->flags = (d->flags & ~O_APPEND) | (arg & O_APPEND);  // the one flag that may change
      return 0;
    case F_GETFD:
    case F_SETFD: return 0;  // one program, no exec: close-on-exec means nothing
    default: return fail(EINVAL);
  }
}

// ---- attributes: mode, owner, times ---------------------------------------------------------

}  // extern "C"

namespace {

int change_path(const char* path, const ns::AttrChange& change, bool follow) {
  if (!path) return fail(EFAULT);
  auto r = ns::root().set_attr(path, change, follow);
  return r ? 0 : fail(r.error());
}

int change_fd(int fd, const ns::AttrChange& change) {
  posix::Held d(fd);
  if (!d) return fail(EBADF);
  if (d->socket) return fail(EINVAL);
  auto r = d->is_dir ? ns::root().set_attr(d->path, change, true) : d->file->set_attr(change);
  return r ? 0 : fail(r.error());
}

ns::AttrChange owner_change(uid_t uid, gid_t gid) {
  ns::AttrChange c;
  if (uid != uid_t(-1)) c.uid = uint32_t(uid);
  if (gid != gid_t(-1)) c.gid = uint32_t(gid);
  return c;
}

// A timespec of futimens/utimensat: UTIME_OMIT leaves the time, UTIME_NOW is the server's now.
bool time_change(const struct timespec& t, std::optional<p9::TimeChange>* out) {
  if (t.tv_nsec == UTIME_OMIT) return true;
  if (t.tv_nsec == UTIME_NOW) return *out = p9::TimeChange{0, 0, true}, true;
  if (t.tv_nsec < 0 || t.tv_nsec >= 1000000000 || t.tv_sec < 0) return false;
  *out = p9::TimeChange{uint64_t(t.tv_sec), uint32_t(t.tv_nsec), false};
  return true;
}

// Both times, or both "now" when `times` is null.
bool times_change(const struct timespec* times, ns::AttrChange* c) {
  if (!times) {
    c->atime = c->mtime = p9::TimeChange{0, 0, true};
    return true;
  }
  return time_change(times[0], &c->atime) && time_change(times[1], &c->mtime);
}

}  // namespace

extern "C" {

int chmod(const char* path, mode_t mode) {
  ns::AttrChange c;
  c.mode = uint32_t(mode & 07777);
  return change_path(path, c, true);
}

int fchmod(int fd, mode_t mode) {
  ns::AttrChange c;
  c.mode = uint32_t(mode & 07777);
  return change_fd(fd, c);
}

int chown(const char* path, uid_t uid, gid_t gid) { return change_path(path, owner_change(uid, gid), true); }
int lchown(const char* path, uid_t uid, gid_t gid) {
  return change_path(path, owner_change(uid, gid), false);
}
int fchown(int fd, uid_t uid, gid_t gid) { return change_fd(fd, owner_change(uid, gid)); }

int futimens(int fd, const struct timespec times[2]) {
  ns::AttrChange c;
  if (!times_change(times, &c)) return fail(EINVAL);
  return change_fd(fd, c);
}

// Relative paths are taken from the working directory: `dirfd` must be AT_FDCWD (there are
// no other directory descriptors to walk from), unless the path is absolute.
int utimensat(int dirfd, const char* path, const struct timespec times[2], int flags) {
  if (!path) return fail(EFAULT);
  if (dirfd != AT_FDCWD && path[0] != '/') return fail(ENOSYS);
  if (flags & ~AT_SYMLINK_NOFOLLOW) return fail(EINVAL);
  ns::AttrChange c;
  if (!times_change(times, &c)) return fail(EINVAL);
  return change_path(path, c, !(flags & AT_SYMLINK_NOFOLLOW));
}

int utimes(const char* path, const struct timeval times[2]) {
  if (!times) return utimensat(AT_FDCWD, path, nullptr, 0);
  struct timespec ts[2];
  for (int i = 0; i < 2; ++i) {
    if (times[i].tv_usec < 0 || times[i].tv_usec >= 1000000) return fail(EINVAL);
    ts[i] = {times[i].tv_sec, long(times[i].tv_usec) * 1000};
  }
  return utimensat(AT_FDCWD, path, ts, 0);
}

int utime(const char* path, const struct utimbuf* times) {
  if (!times) return utimensat(AT_FDCWD, path, nullptr, 0);
  struct timespec ts[2] = {{times->actime, 0}, {times->modtime, 0}};
  return utimensat(AT_FDCWD, path, ts, 0);
}

int access(const char* path, int) {
  auto a = ns::root().stat(path);
  return a ? 0 : fail(a.error());
}

// ---- the namespace from C (xenos/namespace.h) ----------------------------------------------

int xenos_bind(const char* new_path, const char* old_path, int flags) {
  auto r = ns::root().bind(new_path, old_path, flags);
  return r ? 0 : fail(r.error());
}

int xenos_mount(const char* tag, const char* old_path, int flags) {
  auto r = ns::mount_share(tag, ns::clean_path(old_path, ns::root().cwd()), flags);
  return r ? 0 : fail(r.error());
}

int xenos_unmount(const char* new_path, const char* old_path) {
  auto r = ns::root().unmount(new_path ? new_path : "", old_path);
  if (!r) return fail(r.error());
  ns::release_unmounted_shares();
  return 0;
}

}  // extern "C"
