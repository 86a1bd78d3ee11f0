// The kernel's own small trees, served like any other: "#c" (/dev: cons, null, zero, random)
// and "#e" (/env: the environment, one file per variable). See cons(3) and env(3) in Plan 9.
#pragma once
#include "ns/file_server.h"

namespace ns {

class DevServer final : public FileServer {
 public:
  const char* name() const override { return "#c"; }
  Result<Attr> stat(const std::string& path) override;
  Result<xenos::Owned<OpenFile>> open(const std::string& path, uint32_t mode, uint32_t perm) override;
  Result<std::vector<Entry>> list(const std::string& path) override;
  Result<void> mkdir(const std::string&, uint32_t) override { return Error{EPERM, "#c: no new files here"}; }
  Result<void> remove(const std::string&) override { return Error{EPERM, "#c: its files cannot be removed"}; }
  Result<void> rename(const std::string&, const std::string&) override {
    return Error{EPERM, "#c: no renames"};
  }
};

class EnvServer final : public FileServer {
 public:
  const char* name() const override { return "#e"; }
  Result<Attr> stat(const std::string& path) override;
  Result<xenos::Owned<OpenFile>> open(const std::string& path, uint32_t mode, uint32_t perm) override;
  Result<std::vector<Entry>> list(const std::string& path) override;
  Result<void> mkdir(const std::string&, uint32_t) override { return Error{EPERM, "#e: one level only"}; }
  Result<void> remove(const std::string& path) override;
  Result<void> rename(const std::string& from, const std::string& to) override;
};

}  // namespace ns
