// The "mapped" security model's record of what a client believes about a file (QEMU's
// mapped-xattr, in our own words): the owner, group, mode with its type, and device number,
// kept in the host file's extended attribute `user.xenos.attr` while the host file itself
// belongs to iohost's user with mode 0600 (0700 for a directory). A FIFO, socket, device or
// symbolic link a client makes is a plain host file whose type lives only in the record
// (a symbolic link's target is the file's content), so nothing privileged ever lands on disk.
//
// The record is text, one line, so `getfattr -n user.xenos.attr FILE` shows it:
//   "1 UID GID MODE RDEV"  (version 1, decimal numbers, MODE with its S_IFMT type bits)
// Read strictly: anything else, a type the host file cannot carry, or a record on a file
// iohost's user does not own or that others may write, is treated as no record at all.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iohost {

constexpr const char* kMappedAttrName = "user.xenos.attr";
constexpr size_t kMappedAttrMax = 64;  // the longest record: "1 " + 3 * 10 digits + 20 + spaces

struct MappedAttr {
  uint32_t uid = 0, gid = 0;
  uint32_t mode = 0;  // S_IFMT type | 07777 permission bits
  uint64_t rdev = 0;

  std::string text() const;
  // The record in `text`, if it is well formed and its type fits a host file of type
  // `host_type` (S_IFDIR: only a directory; S_IFREG: any type but a directory).
  static std::optional<MappedAttr> parse(std::string_view text, mode_t host_type);
};

// The record of the file behind O_PATH descriptor `fd` (host type and owner from `st`), if
// there is a trustworthy one.
std::optional<MappedAttr> read_mapped_attr(int fd, const struct stat& st);
// Writes the record of the file behind descriptor `fd` (O_PATH or open); errno on failure.
bool write_mapped_attr(int fd, const MappedAttr& attr);

}  // namespace iohost
