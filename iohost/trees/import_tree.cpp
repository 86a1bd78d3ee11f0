// The import tree (see import_tree.h): each call is the same call on the remote server.
#include "import_tree.h"
#include <cerrno>
#include "p9/client.h"
#include "socket_transport.h"
#include "thread_sync.h"

namespace iohost {

struct RemoteSession {
  std::unique_ptr<p9::SocketTransport> transport;
  p9::ThreadSync sync;
  p9::Client client;
  std::string address;
  explicit RemoteSession(std::unique_ptr<p9::SocketTransport> t, std::string a)
      : transport(std::move(t)), client(*transport, sync), address(std::move(a)) {}
};

namespace {

using p9::Error;
using p9::Result;
using Remote = std::shared_ptr<RemoteSession>;

// Errors keep the remote's errno, and say where they came from.
Error remote(const Remote& r, const Error& e) {
  return Error{e.code, "import " + r->address + ": " + e.message};
}

#define REMOTE(r, expr)                                            \
  ({                                                               \
    auto _remote_result = (expr);                                  \
    if (!_remote_result) return remote(r, _remote_result.error()); \
    std::move(*_remote_result);                                    \
  })

class ImportFile final : public p9::OpenFile {
 public:
  ImportFile(Remote r, p9::Fid fid) : r_(std::move(r)), fid_(std::move(fid)) {}
  Result<size_t> read(uint64_t offset, std::span<std::byte> out) override {
    return REMOTE(r_, r_->client.read(fid_, out, offset));
  }
  Result<size_t> write(uint64_t offset, std::span<const std::byte> in) override {
    return REMOTE(r_, r_->client.write(fid_, in, offset));
  }
  Result<std::vector<p9::DirEntry>> readdir(uint64_t cookie, size_t max_bytes) override {
    return REMOTE(r_, r_->client.readdir(fid_, cookie, uint32_t(std::min<size_t>(max_bytes, UINT32_MAX))));
  }
  Result<void> fsync(bool datasync) override {
    REMOTE(r_, r_->client.call<p9::Rfsync>(p9::Tfsync{fid_.number(), datasync ? 1u : 0u}));
    return {};
  }
  Result<uint8_t> lock(const p9::Lock& l) override {
    return REMOTE(r_, r_->client.call<p9::Rlock>(p9::Tlock{fid_.number(), l})).status;
  }
  Result<p9::Lock> getlock(const p9::Lock& l) override {
    return REMOTE(r_, r_->client.call<p9::Rgetlock>(p9::Tgetlock{fid_.number(), l})).lock;
  }

 private:
  Remote r_;
  p9::Fid fid_;  // clunked on the remote server when the last user lets go
};

class ImportNode final : public p9::Node {
 public:
  ImportNode(Remote r, p9::Fid fid, p9::Qid qid) : r_(std::move(r)), fid_(std::move(fid)), qid_(qid) {}
  bool blocking() const override { return true; }
  p9::Qid qid() override { return qid_; }

  Result<p9::Attr> getattr() override {
    return REMOTE(r_, r_->client.call<p9::Rgetattr>(p9::Tgetattr{fid_.number(), p9::P9_GETATTR_BASIC})).attr;
  }
  Result<std::shared_ptr<p9::Node>> walk(std::string_view name) override { return child(name); }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t flags) override {
    p9::Fid clone = REMOTE(r_, r_->client.walk(fid_, {}));
    REMOTE(r_, r_->client.lopen(clone, flags));  // remembered: a recovery reopens it so
    return std::unique_ptr<p9::OpenFile>(new ImportFile(r_, std::move(clone)));
  }
  Result<void> setattr(const p9::SetAttr& a) override {
    REMOTE(r_, r_->client.call<p9::Rsetattr>(p9::Tsetattr{fid_.number(), a}));
    return {};
  }
  Result<p9::Created> create(std::string_view name, uint32_t flags, uint32_t mode, uint32_t gid) override {
    p9::Fid clone = REMOTE(r_, r_->client.walk(fid_, {}));
    // Tlcreate: the clone becomes the new, open file.
    REMOTE(r_, r_->client.lcreate(clone, std::string(name), flags, mode, gid));
    p9::Created c;
    c.node = TRY(child(name));
    c.file.reset(new ImportFile(r_, std::move(clone)));
    return c;
  }
  Result<std::shared_ptr<p9::Node>> mkdir(std::string_view name, uint32_t mode, uint32_t gid) override {
    REMOTE(r_, r_->client.call<p9::Rmkdir>(p9::Tmkdir{fid_.number(), std::string(name), mode, gid}));
    return child(name);
  }
  Result<std::shared_ptr<p9::Node>> symlink(std::string_view name, std::string_view target,
                                            uint32_t gid) override {
    REMOTE(r_, r_->client.call<p9::Rsymlink>(
                   p9::Tsymlink{fid_.number(), std::string(name), std::string(target), gid}));
    return child(name);
  }
  Result<std::shared_ptr<p9::Node>> mknod(std::string_view name, uint32_t mode, uint32_t major,
                                          uint32_t minor, uint32_t gid) override {
    REMOTE(r_, r_->client.call<p9::Rmknod>(
                   p9::Tmknod{fid_.number(), std::string(name), mode, major, minor, gid}));
    return child(name);
  }
  Result<std::string> readlink() override {
    return REMOTE(r_, r_->client.call<p9::Rreadlink>(p9::Treadlink{fid_.number()})).target;
  }
  Result<void> link(std::string_view name, p9::Node& target) override {
    auto& t = static_cast<ImportNode&>(target);
    REMOTE(r_, r_->client.call<p9::Rlink>(p9::Tlink{fid_.number(), t.fid_.number(), std::string(name)}));
    return {};
  }
  Result<void> unlink(std::string_view name, bool directory) override {
    auto r = r_->client.call<p9::Runlinkat>(
        p9::Tunlinkat{fid_.number(), std::string(name), directory ? p9::AT_REMOVEDIR : 0u});
    if (r) return {};
    if (r.error().code != EOPNOTSUPP) return remote(r_, r.error());
    // diod 1.0.24 has no Tunlinkat: walk to the file and Tremove it.
    p9::Fid f = REMOTE(r_, r_->client.walk(fid_, {std::string(name)}));
    auto removed = r_->client.remove_fid(std::move(f));
    if (!removed) return remote(r_, removed.error());
    return {};
  }
  Result<void> rename(std::string_view name, p9::Node& to_dir, std::string_view to_name) override {
    auto& d = static_cast<ImportNode&>(to_dir);
    auto r = r_->client.call<p9::Rrenameat>(
        p9::Trenameat{fid_.number(), std::string(name), d.fid_.number(), std::string(to_name)});
    if (r) return {};
    if (r.error().code != EOPNOTSUPP) return remote(r_, r.error());
    p9::Fid f = REMOTE(r_, r_->client.walk(fid_, {std::string(name)}));  // Trename, as diod wants
    REMOTE(r_, r_->client.call<p9::Rrename>(p9::Trename{f.number(), d.fid_.number(), std::string(to_name)}));
    return {};
  }
  Result<p9::StatFs> statfs() override {
    return REMOTE(r_, r_->client.call<p9::Rstatfs>(p9::Tstatfs{fid_.number()})).statfs;
  }

 private:
  Result<std::shared_ptr<p9::Node>> child(std::string_view name) {
    p9::Fid f = REMOTE(r_, r_->client.walk(fid_, {std::string(name)}));
    p9::Qid q = f.qid();
    return std::shared_ptr<p9::Node>(std::make_shared<ImportNode>(r_, std::move(f), q));
  }
  Remote r_;
  p9::Fid fid_;
  p9::Qid qid_;
};

}  // namespace

ImportTree::ImportTree(std::string address, std::string aname, size_t msize, uint64_t recover_ns,
                       uint64_t hang_ns)
    : address_(std::move(address)), aname_(std::move(aname)), msize_(msize), recover_ns_(recover_ns),
      hang_ns_(hang_ns) {}

ImportTree::~ImportTree() = default;

Result<std::shared_ptr<p9::Node>> ImportTree::attach(const p9::Caller&) {
  Remote r;
  {
    std::lock_guard<std::mutex> l(mutex_);
    if (!session_ || session_->client.broken()) {
      std::string dial;  // each alternative without its "tcp:"/"unix:", as SocketTransport spells them
      for (std::string one : p9::split_on(address_, '|')) {
        if (one.rfind("tcp:", 0) == 0)
          one = one.substr(4);
        else if (one.rfind("unix:", 0) == 0)
          one = one.substr(5);
        dial += (dial.empty() ? "" : "|") + one;
      }
      auto t = p9::SocketTransport::dial(dial);
      if (!t)
        return Error{t.error().code ? t.error().code : ECONNREFUSED,
                     "import " + address_ + ": " + t.error().message};
      auto s = std::make_shared<RemoteSession>(std::move(*t), address_);
      p9::MountOptions options;
      options.aname = aname_;
      options.msize = msize_;
      options.recover_within_ns = recover_ns_;
      options.hang_after_ns = hang_ns_;
      auto mounted = s->client.mount(options);
      if (!mounted) return remote(s, mounted.error());
      session_ = std::move(s);
    }
    r = session_;
  }
  p9::Fid root = REMOTE(r, r->client.walk(r->client.root(), {}));
  p9::Qid q = r->client.root().qid();
  return std::shared_ptr<p9::Node>(std::make_shared<ImportNode>(r, std::move(root), q));
}

}  // namespace iohost
