// The kv tree (see kv_tree.h). A Store holds the keys; a key is a Value node; the root is the
// directory that lists them. Everything runs on iohost's loop thread, so nothing is locked.
#include "kv_tree.h"
#include <cerrno>
#include <cstring>
#include <map>
#include "p9/synthetic.h"

namespace iohost {
namespace {

using p9::Error;
using p9::Result;

// What the store may hold: every client shares it, so it is bounded as a whole too.
constexpr uint64_t kMaxValue = 64u << 20;
constexpr uint64_t kMaxStore = 256u << 20;
constexpr size_t kMaxKeys = 65536;

struct Value {
  explicit Value(std::shared_ptr<uint64_t> t) : total(std::move(t)) {}
  ~Value() { *total -= bytes.size(); }
  uint64_t qid_path = p9::next_qid_path();
  std::vector<std::byte> bytes;
  std::shared_ptr<uint64_t> total;  // the store's bytes, all values

  // Bounds checked without overflow: offset and size are the client's numbers.
  Result<void> resize(uint64_t size) {
    if (size > kMaxValue) return Error{EFBIG, "a value holds at most 64 MiB"};
    if (size > bytes.size() && size - bytes.size() > kMaxStore - *total)
      return Error{ENOSPC, "the store is full (256 MiB)"};
    *total = *total - bytes.size() + size;
    bytes.resize(size_t(size));
    return {};
  }
};

class ValueFile final : public p9::OpenFile {
 public:
  explicit ValueFile(std::shared_ptr<Value> v) : value_(std::move(v)) {}
  Result<size_t> read(uint64_t offset, std::span<std::byte> out) override {
    if (offset >= value_->bytes.size()) return size_t(0);
    size_t n = std::min(out.size(), size_t(value_->bytes.size() - offset));
    std::memcpy(out.data(), value_->bytes.data() + offset, n);
    return n;
  }
  Result<size_t> write(uint64_t offset, std::span<const std::byte> in) override {
    if (offset > kMaxValue || in.size() > kMaxValue - offset)
      return Error{EFBIG, "a value holds at most 64 MiB"};
    if (value_->bytes.size() < offset + in.size()) TRY_VOID(value_->resize(offset + in.size()));
    std::memcpy(value_->bytes.data() + offset, in.data(), in.size());
    return in.size();
  }

 private:
  std::shared_ptr<Value> value_;
};

class ValueNode final : public p9::Node {
 public:
  explicit ValueNode(std::shared_ptr<Value> v) : value_(std::move(v)) {}
  p9::Qid qid() override { return {p9::QTFILE, 0, value_->qid_path}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0666, value_->bytes.size()); }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t flags) override {
    if (flags & p9::linux_flags::O_TRUNC) TRY_VOID(value_->resize(0));
    return std::unique_ptr<p9::OpenFile>(new ValueFile(value_));
  }
  Result<void> setattr(const p9::SetAttr& a) override {
    if (a.valid & p9::P9_SETATTR_SIZE) TRY_VOID(value_->resize(a.size));
    return {};
  }

 private:
  std::shared_ptr<Value> value_;
};

class StoreDir final : public p9::Node {
 public:
  p9::Qid qid() override { return {p9::QTDIR, 0, path_}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0777, 0); }
  Result<std::shared_ptr<p9::Node>> walk(std::string_view name) override {
    auto it = keys_.find(name);
    if (it == keys_.end()) return Error{ENOENT, "no such key"};
    return std::shared_ptr<p9::Node>(std::make_shared<ValueNode>(it->second));
  }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t) override {
    std::vector<p9::DirEntry> entries;
    for (auto& [key, value] : keys_)
      entries.push_back({{p9::QTFILE, 0, value->qid_path}, entries.size() + 1, 8, key});
    return std::unique_ptr<p9::OpenFile>(new Listing(std::move(entries)));
  }
  Result<p9::Created> create(std::string_view name, uint32_t flags, uint32_t, uint32_t) override {
    if (keys_.size() >= kMaxKeys && keys_.find(name) == keys_.end())
      return Error{ENOSPC, "the store holds at most 65536 keys"};
    auto [it, made] = keys_.try_emplace(std::string(name), nullptr);
    if (!made && (flags & p9::linux_flags::O_EXCL)) return Error{EEXIST, "the key exists"};
    if (made) it->second = std::make_shared<Value>(total_);
    auto node = std::make_shared<ValueNode>(it->second);
    return p9::Created{node, TRY(node->open(flags))};
  }
  Result<void> unlink(std::string_view name, bool) override {
    if (!keys_.erase(std::string(name))) return Error{ENOENT, "no such key"};
    return {};
  }
  Result<void> rename(std::string_view name, p9::Node& to_dir, std::string_view to_name) override {
    if (&to_dir != this) return Error{EXDEV, "keys live in one directory"};
    auto it = keys_.find(name);
    if (it == keys_.end()) return Error{ENOENT, "no such key"};
    auto value = it->second;
    keys_.erase(it);
    keys_[std::string(to_name)] = std::move(value);
    return {};
  }

 private:
  class Listing final : public p9::OpenFile {
   public:
    explicit Listing(std::vector<p9::DirEntry> e) : entries_(std::move(e)) {}
    Result<std::vector<p9::DirEntry>> readdir(uint64_t cookie, size_t max_bytes) override {
      std::vector<p9::DirEntry> out;
      size_t used = 0;
      for (uint64_t i = cookie; i < entries_.size() && (used += p9::encoded_size(entries_[i])) <= max_bytes;
           ++i)
        out.push_back(entries_[i]);
      return out;
    }

   private:
    std::vector<p9::DirEntry> entries_;
  };
  uint64_t path_ = p9::next_qid_path();
  std::shared_ptr<uint64_t> total_ = std::make_shared<uint64_t>(0);
  std::map<std::string, std::shared_ptr<Value>, std::less<>> keys_;
};

}  // namespace

KvTree::KvTree() : root_(std::make_shared<StoreDir>()) {}

Result<std::shared_ptr<p9::Node>> KvTree::attach(const p9::Caller&) { return root_; }

}  // namespace iohost
