// Synthetic files and directories (see synthetic.h).
#include "p9/synthetic.h"
#include <atomic>
#include <cerrno>
#include <cstring>

namespace p9 {

uint64_t next_qid_path() {
  static std::atomic<uint64_t> next{1};
  return next++;
}

namespace {
uint64_t start_seconds = 0;
uint64_t process_start_seconds() { return start_seconds; }
}  // namespace

void set_synthetic_time(uint64_t seconds) { start_seconds = seconds; }

Attr synthetic_attr(const Qid& qid, uint32_t mode, uint64_t size) {
  Attr a;
  a.valid = P9_GETATTR_BASIC;
  a.qid = qid;
  a.mode = ((qid.type & QTDIR) ? 0040000 : 0100000) | (mode & 07777);
  a.nlink = (qid.type & QTDIR) ? 2 : 1;
  a.size = size;
  a.blksize = 4096;
  // Times: when the server started, a truthful "unknown" that sorts sensibly.
  static const uint64_t started = process_start_seconds();
  a.atime_sec = a.mtime_sec = a.ctime_sec = started;
  return a;
}

namespace {

bool wants_read(uint32_t flags) { return (flags & 3) != linux_flags::O_WRONLY; }
bool wants_write(uint32_t flags) { return (flags & 3) != linux_flags::O_RDONLY; }

class FunctionFile final : public OpenFile {
 public:
  FunctionFile(const SyntheticFile::Reader& r, const SyntheticFile::Writer& w) : read_(r), write_(w) {}
  Result<size_t> read(uint64_t offset, std::span<std::byte> out) override { return read_(offset, out); }
  Result<size_t> write(uint64_t offset, std::span<const std::byte> in) override { return write_(offset, in); }

 private:
  const SyntheticFile::Reader& read_;  // the node outlives its open files (the fid holds both)
  const SyntheticFile::Writer& write_;
};

class Snapshot final : public OpenFile {
 public:
  explicit Snapshot(std::string text) : text_(std::move(text)) {}
  Result<size_t> read(uint64_t offset, std::span<std::byte> out) override {
    if (offset >= text_.size()) return size_t(0);
    size_t n = std::min(out.size(), size_t(text_.size() - offset));
    std::memcpy(out.data(), text_.data() + offset, n);
    return n;
  }

 private:
  std::string text_;
};

class TextFile final : public Node {
 public:
  TextFile(std::function<std::string()> text, uint32_t mode)
      : path_(next_qid_path()), mode_(mode), text_(std::move(text)) {}
  Qid qid() override { return {QTFILE, 0, path_}; }
  Result<Attr> getattr() override { return synthetic_attr(qid(), mode_, 0); }
  Result<std::unique_ptr<OpenFile>> open(uint32_t flags) override {
    if (wants_write(flags)) return Error{EACCES, "read-only file"};
    return std::unique_ptr<OpenFile>(new Snapshot(text_()));
  }

 private:
  uint64_t path_;
  uint32_t mode_;
  std::function<std::string()> text_;
};

class DirListing final : public OpenFile {
 public:
  explicit DirListing(std::vector<DirEntry> entries) : entries_(std::move(entries)) {}
  Result<std::vector<DirEntry>> readdir(uint64_t cookie, size_t max_bytes) override {
    std::vector<DirEntry> out;
    size_t used = 0;
    for (uint64_t i = cookie; i < entries_.size(); ++i) {
      used += encoded_size(entries_[i]);
      if (used > max_bytes) break;
      out.push_back(entries_[i]);
    }
    return out;
  }

 private:
  std::vector<DirEntry> entries_;
};

}  // namespace

SyntheticFile::SyntheticFile(uint32_t mode, Reader read, Writer write)
    : path_(next_qid_path()), mode_(mode), read_(std::move(read)), write_(std::move(write)) {}

Result<Attr> SyntheticFile::getattr() { return synthetic_attr(qid(), mode_, 0); }

Result<std::unique_ptr<OpenFile>> SyntheticFile::open(uint32_t flags) {
  if (wants_read(flags) && !read_) return Error{EACCES, "this file cannot be read"};
  if (wants_write(flags) && !write_) return Error{EACCES, "this file cannot be written"};
  return std::unique_ptr<OpenFile>(new FunctionFile(read_, write_));
}

Result<void> SyntheticFile::setattr(const SetAttr& attr) {
  if (attr.valid & ~uint32_t(P9_SETATTR_SIZE | P9_SETATTR_ATIME | P9_SETATTR_MTIME | 0x40 /* CTIME */))
    return Error{EPERM, "attributes cannot be changed"};
  return {};  // truncation and times mean nothing for a synthetic file; shells send them on ">"
}

std::shared_ptr<Node> text_file(std::function<std::string()> text, uint32_t mode) {
  return std::make_shared<TextFile>(std::move(text), mode);
}

SyntheticDir::SyntheticDir(uint32_t mode) : path_(next_qid_path()), mode_(mode) {}

void SyntheticDir::add(std::string name, std::shared_ptr<Node> child) {
  children_[std::move(name)] = std::move(child);
}

Result<Attr> SyntheticDir::getattr() { return synthetic_attr(qid(), mode_, 0); }

Result<std::shared_ptr<Node>> SyntheticDir::walk(std::string_view name) {
  auto it = children_.find(name);
  if (it == children_.end()) return Error{ENOENT, "no such file"};
  return it->second;
}

Result<std::unique_ptr<OpenFile>> SyntheticDir::open(uint32_t flags) {
  if (wants_write(flags)) return Error{EISDIR, "a directory cannot be written"};
  std::vector<std::pair<std::string, Qid>> children;
  for (auto& [name, child] : children_) children.emplace_back(name, child->qid());
  return listing(qid(), children);
}

std::unique_ptr<OpenFile> listing(const Qid& self, const std::vector<std::pair<std::string, Qid>>& children) {
  std::vector<DirEntry> entries;
  uint64_t n = 0;
  auto add = [&](std::string name, Qid qid) {
    entries.push_back({qid, ++n, uint8_t((qid.type & QTDIR) ? 4 : 8), std::move(name)});  // DT_DIR, DT_REG
  };
  add(".", self);
  add("..", self);
  for (auto& [name, qid] : children) add(name, qid);
  return std::unique_ptr<OpenFile>(new DirListing(std::move(entries)));
}

}  // namespace p9
