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
  // `on_workers`: every call runs on the Executor (the worker pool), so a slow disk holds up
  // only the client whose request waits on it; otherwise on the session's thread (iohost's loop).
  static p9::Result<std::shared_ptr<ExportTree>> open(const std::string& dir, bool read_only,
                                                      Reactor* reactor = nullptr, bool on_workers = false);
  bool blocking() const override { return on_workers_; }
  void set_on_workers(bool on) { on_workers_ = on; }  // before the first attach
  p9::Result<std::shared_ptr<p9::Node>> attach(const p9::Caller& caller) override;
  bool read_only() const { return read_only_; }
  dev_t root_dev() const { return root_dev_; }

 private:
  ExportTree(Fd root, bool read_only, dev_t dev, Reactor* reactor, bool on_workers)
      : root_(std::move(root)), read_only_(read_only), root_dev_(dev), reactor_(reactor),
        on_workers_(on_workers) {}
  Fd root_;
  bool read_only_;
  dev_t root_dev_;
  Reactor* reactor_;
  bool on_workers_;
};

}  // namespace iohost
