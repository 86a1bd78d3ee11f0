// Synthetic files for servers: a directory held in memory, and a file whose read and write are
// two functions. Enough to serve a device, a log or a control file in a few lines:
//
//   auto root = std::make_shared<p9::SyntheticDir>();
//   root->add("hello", p9::text_file([] { return std::string("hello\n"); }));
//   root->add("sink", std::make_shared<p9::SyntheticFile>(0222, nullptr,
//       [](uint64_t, std::span<const std::byte> in) -> p9::Result<size_t> { return in.size(); }));
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include "p9/server.h"

namespace p9 {

// A fresh qid path for a synthetic node (unique in this process).
uint64_t next_qid_path();

class SyntheticFile : public Node {
 public:
  using Reader = std::function<Result<size_t>(uint64_t offset, std::span<std::byte> out)>;
  using Writer = std::function<Result<size_t>(uint64_t offset, std::span<const std::byte> in)>;
  // A null reader or writer makes the file unreadable or unwritable (EACCES at open).
  SyntheticFile(uint32_t mode, Reader read, Writer write = nullptr);

  Qid qid() override { return {QTFILE, 0, path_}; }
  Result<Attr> getattr() override;
  Result<std::unique_ptr<OpenFile>> open(uint32_t flags) override;
  Result<void> setattr(const SetAttr& attr) override;  // size 0 (O_TRUNC) is accepted and ignored

 private:
  uint64_t path_;
  uint32_t mode_;
  Reader read_;
  Writer write_;
};

// A read-only file whose text is made at each open (Plan 9's style: an open sees a snapshot,
// so reading it in pieces never mixes two versions).
std::shared_ptr<Node> text_file(std::function<std::string()> text, uint32_t mode = 0444);

class SyntheticDir : public Node {
 public:
  explicit SyntheticDir(uint32_t mode = 0555);
  void add(std::string name, std::shared_ptr<Node> child);

  Qid qid() override { return {QTDIR, 0, path_}; }
  Result<Attr> getattr() override;
  Result<std::shared_ptr<Node>> walk(std::string_view name) override;
  Result<std::unique_ptr<OpenFile>> open(uint32_t flags) override;

 private:
  uint64_t path_;
  uint32_t mode_;
  std::map<std::string, std::shared_ptr<Node>, std::less<>> children_;
};

// An open directory listing `children` (and "." and ".."), for nodes that walk by themselves.
std::unique_ptr<OpenFile> listing(const Qid& self, const std::vector<std::pair<std::string, Qid>>& children);

// A tree whose every attach sees the same root.
class StaticTree : public Tree {
 public:
  explicit StaticTree(std::shared_ptr<Node> root) : root_(std::move(root)) {}
  Result<std::shared_ptr<Node>> attach(const Caller&) override { return root_; }

 private:
  std::shared_ptr<Node> root_;
};

// Attr for a synthetic node: type and permission bits, owner root, and as times the seconds
// given to set_synthetic_time() (lib9p has no clock; a server sets it once, at start).
Attr synthetic_attr(const Qid& qid, uint32_t mode, uint64_t size);
void set_synthetic_time(uint64_t seconds_since_epoch);

}  // namespace p9
