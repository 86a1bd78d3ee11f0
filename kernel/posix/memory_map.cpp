// mmap and munmap. A guest's memory is one identity-mapped address space, so a mapping is whole
// frames from the frame allocator: zeroed for MAP_ANONYMOUS, or filled with the file's bytes
// for a private file mapping (MAP_PRIVATE: the copy is the program's; the file never sees its
// writes, as POSIX says). A shared file mapping would need coherence with the I/O host that
// 9P does not give: ENODEV, as Linux says for a file system without mmap. Protection is not
// enforced (every page is read-write).
#include <sys/mman.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>
#include "memory/memory.h"

namespace {

constexpr uint64_t kPage = 4096;

struct Mapping {
  uint64_t first, pages;  // frames [first, first + pages) as addresses / kPage
};

std::vector<Mapping>& mappings() {
  static std::vector<Mapping>* all = new std::vector<Mapping>;  // never destroyed: exit paths use it
  return *all;
}

void* fail(int error) {
  errno = error;
  return MAP_FAILED;
}

}  // namespace

extern "C" {

void* mmap(void* address, size_t length, int protection, int flags, int fd, off_t offset) {
  if (length == 0 || (offset & (kPage - 1)) != 0 || offset < 0) return fail(EINVAL);
  if ((flags & (MAP_SHARED | MAP_PRIVATE)) == 0 || (flags & (MAP_SHARED | MAP_PRIVATE)) == (MAP_SHARED | MAP_PRIVATE))
    return fail(EINVAL);
  if (flags & ~(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS)) return fail(EINVAL);
  // One identity map: a page cannot be put at an address of the caller's choosing (a hint
  // without MAP_FIXED is only a hint, and is not taken).
  if (flags & MAP_FIXED) return fail(EINVAL);
  (void)address;
  bool anonymous = flags & MAP_ANONYMOUS;
  if (!anonymous && (flags & MAP_SHARED)) return fail(ENODEV);
  if (length > SIZE_MAX - kPage) return fail(ENOMEM);
  uint64_t pages = (length + kPage - 1) / kPage;
  void* memory = kernel::allocate_pages(pages);
  if (!memory) return fail(ENOMEM);
  std::memset(memory, 0, pages * kPage);
  if (!anonymous) {
    // The whole range, or up to the file's end (the rest of the last pages stays zero).
    uint64_t done = 0;
    while (done < length) {
      ssize_t n = pread(fd, static_cast<char*>(memory) + done, length - done, off_t(offset + done));
      if (n < 0) {
        int error = errno == EBADF && fcntl(fd, F_GETFL) >= 0 ? EACCES : errno;  // open write-only
        kernel::free_pages(memory, pages);
        return fail(error);
      }
      if (n == 0) break;
      done += uint64_t(n);
    }
  }
  (void)protection;
  mappings().push_back({reinterpret_cast<uint64_t>(memory) / kPage, pages});
  return memory;
}

// Any page-aligned range: the pages of it that are mapped go back, whole mappings or parts of
// them (a mapping cut in the middle becomes two); pages not mapped are left alone.
int munmap(void* address, size_t length) {
  uint64_t start = reinterpret_cast<uint64_t>(address);
  if ((start & (kPage - 1)) != 0 || length == 0 || length > SIZE_MAX - kPage) return errno = EINVAL, -1;
  uint64_t first = start / kPage, end = first + (length + kPage - 1) / kPage;
  std::vector<Mapping>& all = mappings();
  std::vector<Mapping> kept;
  for (const Mapping& m : all) {
    uint64_t m_end = m.first + m.pages;
    uint64_t cut_first = first > m.first ? first : m.first, cut_end = end < m_end ? end : m_end;
    if (cut_first >= cut_end) {
      kept.push_back(m);
      continue;
    }
    kernel::free_pages(reinterpret_cast<void*>(cut_first * kPage), cut_end - cut_first);
    if (m.first < cut_first) kept.push_back({m.first, cut_first - m.first});
    if (cut_end < m_end) kept.push_back({cut_end, m_end - cut_end});
  }
  all = std::move(kept);
  return 0;
}

// Nothing is shared with a file, so there is nothing to write back; the range must be mapped.
int msync(void* address, size_t length, int flags) {
  uint64_t start = reinterpret_cast<uint64_t>(address);
  if ((start & (kPage - 1)) != 0 || (flags & MS_ASYNC && flags & MS_SYNC)) return errno = EINVAL, -1;
  uint64_t first = start / kPage, end = first + (length + kPage - 1) / kPage;
  for (const Mapping& m : mappings())
    if (m.first <= first && end <= m.first + m.pages) return 0;
  return errno = ENOMEM, -1;
}

}  // extern "C"
