// What the Session's two halves (server.cpp: the session; server_requests.cpp: one handler
// per request) share: a fid's state and the helpers that build jobs.
#pragma once
#include <cerrno>
#include "p9/client.h"
#include "p9/server.h"

namespace p9 {

struct Session::FidState {
  // From the attach root down to this fid's node, and the name of each step: ".." pops, so
  // a walk can never climb out of the tree it attached to.
  std::vector<std::shared_ptr<Node>> path;
  std::vector<std::string> names;
  const Tree* tree = nullptr;  // which attach (rename and link across trees: EXDEV)
  bool blocking = false;       // its node's calls run on the Executor

  std::shared_ptr<OpenFile> file;  // once opened (shared: a running job keeps it alive)
  uint32_t open_flags = 0;         // Linux open flags it was opened with
  bool remove_on_clunk = false;    // ORCLOSE
  // 9P2000(.u) directory reads: where the next read must start, and the readdir cookie there.
  uint64_t dir_offset = 0, dir_cookie = 0;
  // Txattrwalk: the value that Tread returns.
  std::shared_ptr<const std::vector<std::byte>> xattr;

  Node& node() const { return *path.back(); }
  const std::shared_ptr<Node>& node_ptr() const { return path.back(); }
  std::shared_ptr<Node> parent() const { return path.size() > 1 ? path[path.size() - 2] : nullptr; }
  const std::string& name() const { return names.back(); }
  bool is_dir() { return node().qid().type & QTDIR; }
};

// A path element a client may name: not empty, not "." or "..", no '/'.
bool valid_name(std::string_view name);
Error bad_name(std::string_view name);

// 9P2000(.u) conversions to and from the .L model.
uint32_t linux_flags_from_plan9_mode(uint8_t mode);
Result<Stat> stat_of(Node& node, std::string_view name, Dialect dialect);
uint32_t plan9_mode_from_attr(const Attr& a, Dialect dialect);

}  // namespace p9
