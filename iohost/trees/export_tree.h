// The export tree: a host folder served over 9P, read-write or read-only, and confined: every
// lookup is one path element resolved by the kernel beneath an O_PATH descriptor of its
// directory (openat2 with RESOLVE_BENEATH, symbolic links never followed), and ".." never
// reaches a tree at all (the Session walks back up its own path). So neither "..", nor a
// symbolic link (absolute or relative), nor a rename racing a walk leads out of the folder.
//
// Who owns what a client makes, and as whom its calls run, is the export's security model
// (the names are those of xl's p9 entries and QEMU's 9pfs; iohost/README.md says what each
// protects and costs):
//  - none: every call as iohost's user (or as the `uid`/`gid` given), set-uid bits stripped;
//  - passthrough: every call as the client's user (its attach's uid), with the host's idea of
//    that user's groups; what it makes is owned by it and the group it names; real set-uid
//    bits; device nodes only with `device_nodes`;
//  - mapped: every call as iohost's user; what the client believes about owners, modes and
//    file types lives in an extended attribute (mapped_attr.h).
#pragma once
#include <sys/types.h>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include "credentials.h"
#include "../fd.h"
#include "p9/server.h"
#include "../reactor.h"

namespace iohost {

enum class SecurityModel { none, passthrough, mapped };
const char* name_of(SecurityModel model);

struct ExportOptions {
  bool read_only = false;
  SecurityModel model = SecurityModel::none;
  std::optional<uid_t> uid;   // none: act as this host user...
  std::optional<gid_t> gid;   // ...and group
  bool device_nodes = false;  // passthrough: clients may make real device nodes
};

// `--export [ro:]NAME=DIR[,security_model=MODEL][,uid=N][,gid=N][,device_nodes]`.
struct ExportSpec {
  std::string name, dir;
  ExportOptions options;
};
p9::Result<ExportSpec> parse_export(std::string_view spec);

class ExportTree final : public p9::Tree {
 public:
  // `reactor`: where blocking locks wait without a thread (none: on the Executor).
  // `on_workers`: every call runs on the Executor (the worker pool), so a slow disk holds up
  // only the client whose request waits on it; otherwise on the session's thread (iohost's loop).
  static p9::Result<std::shared_ptr<ExportTree>> open(const std::string& dir, const ExportOptions& options,
                                                      Reactor* reactor = nullptr, bool on_workers = false);
  static p9::Result<std::shared_ptr<ExportTree>> open(const std::string& dir, bool read_only,
                                                      Reactor* reactor = nullptr, bool on_workers = false) {
    ExportOptions options;
    options.read_only = read_only;
    return open(dir, options, reactor, on_workers);
  }
  bool blocking() const override { return on_workers_; }
  void set_on_workers(bool on) { on_workers_ = on; }  // before the first attach
  p9::Result<std::shared_ptr<p9::Node>> attach(const p9::Caller& caller) override;
  bool read_only() const { return options_.read_only; }
  const ExportOptions& options() const { return options_; }
  dev_t root_dev() const { return root_dev_; }

 private:
  ExportTree(Fd root, const ExportOptions& options, dev_t dev, Reactor* reactor, bool on_workers)
      : root_(std::move(root)), options_(options), root_dev_(dev), reactor_(reactor),
        on_workers_(on_workers) {}
  // Whose credentials the calls of an attach by `caller` run with (null: iohost's own).
  p9::Result<std::shared_ptr<const Identity>> acting_for(const p9::Caller& caller);
  // The uid a caller names: n_uname, or its uname looked up on the host.
  static p9::Result<uid_t> uid_of(const p9::Caller& caller);

  Fd root_;
  ExportOptions options_;
  dev_t root_dev_;
  std::mutex identities_lock_;
  std::map<uid_t, std::shared_ptr<const Identity>> identities_;  // passthrough: one per user
  Reactor* reactor_;
  bool on_workers_;
};

}  // namespace iohost
