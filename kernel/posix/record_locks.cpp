// POSIX advisory record locks over 9P2000.L Tlock/Tgetlock (see record_locks.h).
#include "posix/record_locks.h"
#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <vector>
#include "ns/boot_namespace.h"
#include "posix/fail.h"
#include "xenos/namespace.h"
#include "xenos/time.h"

namespace posix {
namespace {

// Advisory record locks (F_SETLK, F_SETLKW, F_GETLK). POSIX locks belong to a process, and a
// process never conflicts with its own; a guest is one process. A server with 9P2000.L locks
// (iohost: open-file-description locks on the host) holds them per fid, so every lock the guest
// takes on a file goes through one fid of its own for that file (the file opened once more, by
// its real path): the server sees one owner, as POSIX wants, and other guests and the host see
// the locks. As POSIX says, closing any descriptor of the file releases the guest's locks on it.
// A file whose server has no locks (9P2000/.u, /dev, /env) keeps them in the guest: granted at
// once, and F_GETLK says nothing is in the way (the README says so).
// A lock call waits on the server, and meanwhile another thread may close a descriptor of the
// file (which drops the entry) or lock another file (which grows the list): entries live on the
// heap and a call holds its entry (`users`) until it returns.
struct FileLocks {
  std::string path;  // the file's real path in the namespace
  xenos::Owned<ns::OpenFile> file;
  int users = 0;
  bool dropped = false;  // no longer listed: the last user deletes it
};
std::vector<FileLocks*>* locked_files;

FileLocks* locks_of(const std::string& real) {
  if (!locked_files) return nullptr;
  for (FileLocks* l : *locked_files)
    if (l->path == real) return l;
  return nullptr;
}

class UsingLocks {
 public:
  explicit UsingLocks(FileLocks* l) : l_(l) { ++l_->users; }
  ~UsingLocks() {
    if (--l_->users == 0 && l_->dropped) delete l_;
  }
  UsingLocks(const UsingLocks&) = delete;
  UsingLocks& operator=(const UsingLocks&) = delete;

 private:
  FileLocks* l_;
};

}  // namespace

// Called as a descriptor closes: the guest's locks on its file go (one Tlock unlocking all).
void release_record_locks(const LockTarget& d) {
  if (!locked_files || locked_files->empty() || !d.file) return;
  auto real = ns::root().real_path(d.path);
  if (!real) return;
  FileLocks* l = locks_of(*real);
  if (!l) return;
  std::erase(*locked_files, l);  // first: a thread that runs while the unlock waits finds none
  l->dropped = true;
  {
    UsingLocks use(l);
    p9::Lock all{p9::P9_LOCK_TYPE_UNLCK, 0, 0, 0, 1, "xenos"};
    (void)l->file->lock(all);
  }
}

int record_lock(const LockTarget& d, int command, struct flock* lock) {
  if (!lock) return fail(EFAULT);
  if (lock->l_type != F_RDLCK && lock->l_type != F_WRLCK && lock->l_type != F_UNLCK) return fail(EINVAL);
  if (lock->l_whence != SEEK_SET && lock->l_whence != SEEK_CUR && lock->l_whence != SEEK_END)
    return fail(EINVAL);
  int access = d.flags & O_ACCMODE;
  if (command != F_GETLK &&
      ((lock->l_type == F_RDLCK && access == O_WRONLY) || (lock->l_type == F_WRLCK && access == O_RDONLY)))
    return fail(EBADF);  // POSIX: a read lock needs the file open for reading, a write lock for writing
  if (!d.file) return fail(EINVAL);                                        // a directory
  if (command == F_GETLK && lock->l_type == F_UNLCK) return fail(EINVAL);  // as Linux says
  // The range, absolute: from l_whence, and a negative length counts back from the start.
  int64_t start = lock->l_start, length = lock->l_len;
  if (lock->l_whence == SEEK_CUR) start += int64_t(d.offset);
  if (lock->l_whence == SEEK_END) {
    auto a = d.file->stat();
    if (!a) return fail(a.error());
    start += int64_t(a->size);
  }
  if (length < 0) start += length, length = -length;
  if (start < 0) return fail(EINVAL);

  auto real = ns::root().real_path(d.path);
  if (!real) return fail(real.error());
  FileLocks* held = locks_of(*real);
  if (!held) {
    if (lock->l_type == F_UNLCK && command != F_GETLK) return 0;  // nothing of ours is there
    // The guest's own fid for the file's locks: opened for reading and writing when it may
    // be, so that both kinds of lock can go through it.
    auto file = ns::root().open(*real, ns::kReadWrite, 0);
    if (!file) file = ns::root().open(*real, access == O_WRONLY ? ns::kWrite : ns::kRead, 0);
    if (!file) return fail(file.error());
    if (!locked_files) locked_files = new std::vector<FileLocks*>;
    held = locks_of(*real);  // another thread may have made it while this open waited
    if (!held) {
      held = new FileLocks{*real, std::move(*file)};
      locked_files->push_back(held);
    }
  }
  UsingLocks use(held);
  uint8_t type = lock->l_type == F_RDLCK   ? p9::P9_LOCK_TYPE_RDLCK
                 : lock->l_type == F_WRLCK ? p9::P9_LOCK_TYPE_WRLCK
                                           : p9::P9_LOCK_TYPE_UNLCK;
  p9::Lock request{type, 0, uint64_t(start), uint64_t(length), 1, "xenos"};
  if (command == F_GETLK) {
    auto in_the_way = held->file->getlock(request);
    if (!in_the_way) {
      if (in_the_way.error().code != ENOLCK) return fail(in_the_way.error());
      lock->l_type = F_UNLCK;  // no locks on this server: only ours, which never conflict
      return 0;
    }
    if (in_the_way->type == p9::P9_LOCK_TYPE_UNLCK) {
      lock->l_type = F_UNLCK;
      return 0;
    }
    lock->l_type = in_the_way->type == p9::P9_LOCK_TYPE_RDLCK ? F_RDLCK : F_WRLCK;
    lock->l_whence = SEEK_SET;
    lock->l_start = off_t(in_the_way->start);
    lock->l_len = off_t(in_the_way->length);
    lock->l_pid = pid_t(in_the_way->proc_id);
    return 0;
  }
  if (command == F_SETLKW) request.flags = p9::P9_LOCK_FLAGS_BLOCK;
  // F_SETLKW waits as long as it takes: iohost holds a blocking request up to 10 s, then says
  // BLOCKED, and the request goes again; GRACE (a server after its restart) is asked again too.
  for (;;) {
    auto status = held->file->lock(request);
    if (!status) {
      if (status.error().code == ENOLCK) return 0;  // no locks on this server: kept in the guest
      return fail(status.error());
    }
    if (*status == p9::P9_LOCK_SUCCESS) return 0;
    if (*status == p9::P9_LOCK_ERROR) return fail(ENOLCK);
    if (*status == p9::P9_LOCK_BLOCKED && command == F_SETLK) return fail(EAGAIN);
    xenos::sleep_ns(50'000'000);
  }
}

}  // namespace posix
