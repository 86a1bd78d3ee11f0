// The export tree: a host folder served over 9P, read-write or read-only, and confined: every
// lookup is one path element resolved by the kernel beneath an O_PATH descriptor of its
// directory (openat2 with RESOLVE_BENEATH, symbolic links never followed), and ".." never
// reaches a tree at all (the Session walks back up its own path). So neither "..", nor a
// symbolic link (absolute or relative), nor a rename racing a walk leads out of the folder.
#pragma once
#include <memory>
#include <string>
#include "fd.h"
#include "p9/server.h"
#include "reactor.h"

namespace iohost {

class ExportTree final : public p9::Tree {
 public:
  // `reactor`: where blocking locks wait without a thread (none: on the Executor).
  static p9::Result<std::shared_ptr<ExportTree>> open(const std::string& dir, bool read_only,
                                                      Reactor* reactor = nullptr);
  p9::Result<std::shared_ptr<p9::Node>> attach(const p9::Caller& caller) override;
  bool read_only() const { return read_only_; }
  dev_t root_dev() const { return root_dev_; }

 private:
  ExportTree(Fd root, bool read_only, dev_t dev, Reactor* reactor)
      : root_(std::move(root)), read_only_(read_only), root_dev_(dev), reactor_(reactor) {}
  Fd root_;
  bool read_only_;
  dev_t root_dev_;
  Reactor* reactor_;
};

}  // namespace iohost
