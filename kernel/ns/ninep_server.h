// A 9P connection as a FileServer: every path operation becomes lib9p calls on its session.
// Any transport: a Xen 9pfs share (xenos/ninep.h), or whatever else carries a p9::Client.
#pragma once
#include "ns/file_server.h"
#include "p9/connection.h"
#include "xenos/owned.h"

namespace ns {

class NinepServer final : public FileServer {
 public:
  explicit NinepServer(xenos::Owned<p9::Connection> connection);
  const char* name() const override { return label_.c_str(); }
  Result<Attr> stat(const std::string& path) override;
  Result<xenos::Owned<OpenFile>> open(const std::string& path, uint32_t mode, uint32_t perm) override;
  Result<std::vector<Entry>> list(const std::string& path) override;
  Result<void> mkdir(const std::string& path, uint32_t perm) override;
  Result<void> remove(const std::string& path) override;
  Result<void> rename(const std::string& from, const std::string& to) override;
  Result<void> set_attr(const std::string& path, const AttrChange& change) override;
  Result<void> symlink(const std::string& path, const std::string& target) override;
  Result<std::string> readlink(const std::string& path) override;

  // Unmounted: the server (its connection: session, transport) goes when its last open file
  // closes, or now if none is open. The caller no longer names it.
  static void retire(NinepServer* server);

 private:
  friend class FileUse;
  xenos::Owned<p9::Connection> connection_;
  std::string label_;
  unsigned open_files_ = 0;
  bool retired_ = false;
};

}  // namespace ns
