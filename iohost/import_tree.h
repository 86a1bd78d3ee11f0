// The import tree: a remote 9P2000.L server (diod, another iohost, nfs-ganesha...) reached over
// TCP or a unix socket and served again as a subtree, so guests on many machines can share
// one file service. Each node holds a fid on the remote server; every call is a round trip
// there, so the tree is blocking() and its calls run on iohost's worker threads. The remote
// session is opened at the first attach and again at an attach after it broke.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include "p9/server.h"

namespace iohost {

struct RemoteSession;

class ImportTree final : public p9::Tree {
 public:
  // address: "tcp:HOST:PORT", "HOST:PORT" or "unix:PATH"; aname: the remote tree to attach.
  ImportTree(std::string address, std::string aname, size_t msize);
  ~ImportTree() override;
  p9::Result<std::shared_ptr<p9::Node>> attach(const p9::Caller& caller) override;
  bool blocking() const override { return true; }
  const std::string& address() const { return address_; }

 private:
  std::string address_, aname_;
  size_t msize_;
  std::mutex mutex_;
  std::shared_ptr<RemoteSession> session_;
};

}  // namespace iohost
