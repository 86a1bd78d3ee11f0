// A Plan 9-style namespace (bind(2), mount(2)): mount points map a path to an ordered union of
// members, each a directory of some FileServer. Lookups try members in order; a directory read
// merges them (first name wins); create goes to the first member marked MCREATE. Paths are
// cleaned lexically, so ".." never leaves through a mount point into a server's parent.
// Symbolic links are followed here, not by the servers (9P walks do not follow them): a link's
// target is a path of this namespace (an absolute one starts at its root), at most kMaxLinks
// links per lookup (then ELOOP), as Linux.
// Pure logic over the FileServer interface: unit-tested on the host with in-memory trees.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include "ns/file_server.h"

namespace ns {

// bind(2) flags.
constexpr int MREPL = 0x0000, MBEFORE = 0x0001, MAFTER = 0x0002, MORDER = 0x0003, MCREATE = 0x0004;

// "/a//b/./c/../d" -> "/a/b/d"; relative paths are taken from `cwd`. ".." at "/" stays at "/".
std::string clean_path(std::string_view path, std::string_view cwd = "/");

class Namespace {
 public:
  // Attaches `server_path` of `server` at `point` (an absolute path).
  Result<void> mount(FileServer* server, std::string_view server_path, std::string_view point, int flags);
  // Whether any mount point still has `server` among its members.
  bool uses(const FileServer* server) const;
  // Makes what `new_path` names now (all its union members) appear at `old_path` too.
  Result<void> bind(std::string_view new_path, std::string_view old_path, int flags);
  // Removes what `new_path` put at `old_path`, or everything there when `new_path` is empty.
  Result<void> unmount(std::string_view new_path, std::string_view old_path);

  static constexpr int kMaxLinks = 40;

  // stat follows a link at the end of the path; lstat says what the link itself is.
  Result<Attr> stat(std::string_view path);
  Result<Attr> lstat(std::string_view path);
  // `mode` takes kNoFollow: a link at the end is then an error (ELOOP), as O_NOFOLLOW.
  Result<xenos::Owned<OpenFile>> open(std::string_view path, uint32_t mode, uint32_t perm);
  Result<std::vector<Entry>> list(std::string_view path);
  Result<void> mkdir(std::string_view path, uint32_t perm);
  Result<void> remove(std::string_view path);  // a link is removed, not what it names
  Result<void> rename(std::string_view from, std::string_view to);
  Result<void> set_attr(std::string_view path, const AttrChange& change, bool follow);
  Result<void> symlink(std::string_view target, std::string_view link_path);
  Result<std::string> readlink(std::string_view path);
  // The clean absolute path of what `path` names, every link followed; it must exist.
  Result<std::string> real_path(std::string_view path);

  std::string cwd() const { return cwd_; }
  Result<void> chdir(std::string_view path);
  size_t mount_count() const { return mounts_.size(); }

 private:
  struct Member {
    FileServer* server;
    std::string path;  // within the server
    bool create;
  };
  struct Mount {
    std::string point;
    std::vector<Member> members;
  };
  struct Target {
    FileServer* server;
    std::string path;
    bool create;
  };

  // What a path names: its clean absolute path with the links on the way followed (and the one
  // at its end when asked), and, when it exists, its attributes and the member that holds it
  // (no member: a directory made only of the mount points below it). When it does not, `missing`
  // says why; `path` is then where it would be created.
  struct Found {
    std::string path;
    std::optional<Attr> attr;
    Target where{};
    Error missing{};
  };
  Result<Found> find(std::string_view path, bool follow_last);
  // Where a new name under `targets` goes: the first member that takes creates, or the only one.
  static const Target* creating_member(const std::vector<Target>& targets);
  // The first member holding `path` (absolute, clean), links not followed.
  Result<Found> look_up(const std::string& path);

  Result<void> attach(const std::string& where, std::vector<Member> added, int flags);
  // Members that may hold `path` (absolute, clean), in union order, each with its server path.
  std::vector<Target> resolve(const std::string& path) const;
  // True when some mount point lies strictly below `path` (so `path` exists as a directory).
  bool above_a_mount(const std::string& path) const;
  Mount* mount_at(const std::string& point);

  std::vector<Mount> mounts_;
  std::string cwd_ = "/";
};

}  // namespace ns
