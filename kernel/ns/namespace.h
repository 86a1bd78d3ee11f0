// A Plan 9-style namespace (bind(2), mount(2)): mount points map a path to an ordered union of
// members, each a directory of some FileServer. Lookups try members in order; a directory read
// merges them (first name wins); create goes to the first member marked MCREATE. Paths are
// cleaned lexically, so ".." never leaves through a mount point into a server's parent.
// Pure logic over the FileServer interface: unit-tested on the host with in-memory trees.
#pragma once
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

  Result<Attr> stat(std::string_view path);
  Result<xenos::Owned<OpenFile>> open(std::string_view path, uint32_t mode, uint32_t perm);
  Result<std::vector<Entry>> list(std::string_view path);
  Result<void> mkdir(std::string_view path, uint32_t perm);
  Result<void> remove(std::string_view path);
  Result<void> rename(std::string_view from, std::string_view to);

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

  Result<void> attach(const std::string& where, std::vector<Member> added, int flags);
  // Members that may hold `path` (absolute, clean), in union order, each with its server path.
  std::vector<Target> resolve(const std::string& path) const;
  // True when some mount point lies strictly below `path` (so `path` exists as a directory).
  bool above_a_mount(const std::string& path) const;
  Mount* find(const std::string& point);

  std::vector<Mount> mounts_;
  std::string cwd_ = "/";
};

}  // namespace ns
