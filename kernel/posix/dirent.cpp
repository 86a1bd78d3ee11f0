// opendir(3) and friends: a DIR is an open directory descriptor plus the listing read from the
// namespace when it was opened (or rewound), merged across a union's members.
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include "posix/files.h"

// errno is newlib's per-reent value (*__errno()): set it through <cerrno>'s macro, never a
// global of the same name, or the program would never see it.

struct __xenos_dir {
  int fd;
  std::vector<ns::Entry>* entries;
  size_t next;
  struct dirent current;
};

extern "C" {

DIR* fdopendir(int fd) {
  int error = 0;
  std::vector<ns::Entry>* entries = posix::list_directory(fd, &error);
  if (!entries) return errno = error, nullptr;
  auto* d = new __xenos_dir{fd, entries, 0, {}};
  return d;
}

DIR* opendir(const char* path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return nullptr;
  DIR* d = fdopendir(fd);
  if (!d) {
    int saved = errno;
    close(fd);
    errno = saved;
  }
  return d;
}

struct dirent* readdir(DIR* d) {
  if (!d) return errno = EBADF, nullptr;
  if (d->next >= d->entries->size()) return nullptr;  // the end; errno untouched
  const ns::Entry& e = (*d->entries)[d->next++];
  d->current.d_ino = ino_t(e.inode);
  d->current.d_type = e.is_dir ? DT_DIR : DT_REG;
  size_t n = std::min(e.name.size(), size_t(MAXNAMLEN));
  std::memcpy(d->current.d_name, e.name.data(), n);
  d->current.d_name[n] = '\0';
  return &d->current;
}

void rewinddir(DIR* d) {
  int error = 0;
  if (std::vector<ns::Entry>* fresh = posix::list_directory(d->fd, &error)) {
    delete d->entries;
    d->entries = fresh;
  }
  d->next = 0;
}

int dirfd(DIR* d) { return d->fd; }

int closedir(DIR* d) {
  if (!d) return errno = EBADF, -1;
  int r = close(d->fd);
  delete d->entries;
  delete d;
  return r;
}

}  // extern "C"
