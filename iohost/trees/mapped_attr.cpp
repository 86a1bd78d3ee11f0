// The mapped model's record (see mapped_attr.h).
#include "mapped_attr.h"
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "common/decimal.h"

namespace iohost {
namespace {

std::string proc_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

bool known_type(uint32_t type) {
  switch (type) {
    case S_IFREG:
    case S_IFDIR:
    case S_IFLNK:
    case S_IFIFO:
    case S_IFSOCK:
    case S_IFCHR:
    case S_IFBLK: return true;
    default: return false;
  }
}

}  // namespace

std::string MappedAttr::text() const {
  return "1 " + std::to_string(uid) + " " + std::to_string(gid) + " " + std::to_string(mode) + " " +
         std::to_string(rdev);
}

std::optional<MappedAttr> MappedAttr::parse(std::string_view text, mode_t host_type) {
  if (text.size() > kMappedAttrMax) return std::nullopt;
  std::string_view field[5];
  size_t n = 0;
  while (!text.empty()) {
    if (n == 5) return std::nullopt;
    size_t space = text.find(' ');
    field[n++] = text.substr(0, space);
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
    if (text.empty()) return std::nullopt;  // a trailing space
  }
  if (n != 5 || field[0] != "1") return std::nullopt;
  auto uid = common::parse_decimal(field[1], UINT32_MAX), gid = common::parse_decimal(field[2], UINT32_MAX);
  auto mode = common::parse_decimal(field[3], S_IFMT | 07777), rdev = common::parse_decimal(field[4], UINT64_MAX);
  if (!uid || !gid || !mode || !rdev) return std::nullopt;
  MappedAttr a{uint32_t(*uid), uint32_t(*gid), uint32_t(*mode), *rdev};
  uint32_t type = a.mode & S_IFMT;
  if (!known_type(type)) return std::nullopt;
  if ((host_type == S_IFDIR) != (type == S_IFDIR)) return std::nullopt;
  if (host_type != S_IFDIR && host_type != S_IFREG) return std::nullopt;
  if (type != S_IFCHR && type != S_IFBLK && a.rdev != 0) return std::nullopt;
  return a;
}

std::optional<MappedAttr> read_mapped_attr(int fd, const struct stat& st) {
  mode_t type = st.st_mode & S_IFMT;
  // Only iohost's user makes records, on files only it may write; a record on anything else
  // was not made here (a host user's own file), so it says nothing.
  if ((type != S_IFREG && type != S_IFDIR) || st.st_uid != ::geteuid() || (st.st_mode & 022))
    return std::nullopt;
  char buffer[kMappedAttrMax + 1];
  // getxattr through /proc follows the magic link to this very inode (an O_PATH descriptor
  // has no fgetxattr); the type was checked above, so it is never a symbolic link.
  ssize_t n = ::getxattr(proc_path(fd).c_str(), kMappedAttrName, buffer, sizeof buffer);
  if (n < 0 || size_t(n) > kMappedAttrMax) return std::nullopt;
  return MappedAttr::parse(std::string_view(buffer, size_t(n)), type);
}

bool write_mapped_attr(int fd, const MappedAttr& attr) {
  std::string text = attr.text();
  return ::setxattr(proc_path(fd).c_str(), kMappedAttrName, text.data(), text.size(), 0) == 0;
}

}  // namespace iohost
