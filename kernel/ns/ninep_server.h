// A 9P share as a FileServer: every path operation becomes lib9p calls on the share's session.
#pragma once
#include "ns/file_server.h"
#include "xenos/ninep.h"

namespace ns {

class NinepServer final : public FileServer {
 public:
  explicit NinepServer(xenos::Owned<xenos::ninep::Share> share);
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
  xenos::ninep::Share& share() { return *share_; }

  // Unmounted: the server (its share: rings, grants, session) goes when its last open file
  // closes, or now if none is open. The caller no longer names it.
  static void retire(NinepServer* server);
  unsigned open_files() const { return open_files_; }

 private:
  friend class FileUse;
  xenos::Owned<xenos::ninep::Share> share_;
  std::string label_;
  unsigned open_files_ = 0;
  bool retired_ = false;
};

}  // namespace ns
