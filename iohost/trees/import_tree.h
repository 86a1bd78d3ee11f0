// The import tree: a remote 9P2000.L server (diod, another iohost, nfs-ganesha...) reached over
// TCP or a unix socket and served again as a subtree, so guests on many machines can share
// one file service. Each node holds a fid on the remote server; every call is a round trip
// there, so the tree is blocking() and its calls run on iohost's worker threads. The remote
// session is opened at the first attach. When it breaks, lib9p's recovery dials again (the
// next address of "A|B" if the first does not answer: network failover), re-walks every node's
// fid and reopens the open files, for up to `recover_ns`; after that, the next attach dials anew.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include "p9/server.h"

namespace iohost {

struct RemoteSession;

class ImportTree final : public p9::Tree {
 public:
  // address: "tcp:HOST:PORT", "HOST:PORT" or "unix:PATH", or several of them joined by '|'
  // (servers of the same tree, tried in turn); aname: the remote tree to attach.
  // recover_ns, hang_ns: lib9p's MountOptions::recover_within_ns and hang_after_ns.
  ImportTree(std::string address, std::string aname, size_t msize, uint64_t recover_ns = 10'000'000'000ull,
             uint64_t hang_ns = 10'000'000'000ull);
  ~ImportTree() override;
  p9::Result<std::shared_ptr<p9::Node>> attach(const p9::Caller& caller) override;
  bool blocking() const override { return true; }
  const std::string& address() const { return address_; }

 private:
  std::string address_, aname_;
  size_t msize_;
  uint64_t recover_ns_, hang_ns_;
  std::mutex mutex_;
  std::shared_ptr<RemoteSession> session_;
};

}  // namespace iohost
