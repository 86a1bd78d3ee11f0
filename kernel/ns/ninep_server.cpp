// FileServer over a lib9p session (see ninep_server.h).
#include "ns/ninep_server.h"

namespace ns {
namespace {

Attr attr_from(const p9::FileInfo& i) {
  Attr a;
  a.mode = i.mode;
  a.size = i.size;
  a.inode = i.qid.path;
  a.nlink = i.nlink;
  a.uid = i.uid;
  a.gid = i.gid;
  a.atime = i.atime_sec;
  a.mtime = i.mtime_sec;
  a.ctime = i.ctime_sec;
  return a;
}

}  // namespace

// An open file's hold on its server: a retired (unmounted) server lives until the last one goes.
class FileUse {
 public:
  explicit FileUse(NinepServer* s) : server_(s) { ++server_->open_files_; }
  ~FileUse() {
    if (--server_->open_files_ == 0 && server_->retired_) delete server_;
  }
  FileUse(const FileUse&) = delete;
  FileUse& operator=(const FileUse&) = delete;

 private:
  NinepServer* server_;
};

namespace {

class NinepFile final : public OpenFile {
 public:
  NinepFile(NinepServer* server, p9::File f, bool append, size_t max_io)
      : use_(server), file_(std::move(f)), append_(append), max_io_(max_io) {}
  Result<size_t> read(std::span<std::byte> out, uint64_t offset) override { return file_.pread(out, offset); }
  Result<size_t> write(std::span<const std::byte> in, uint64_t offset) override {
    return file_.pwrite(in, offset);
  }
  Result<Attr> stat() override {
    p9::FileInfo i = TRY(file_.stat());
    return attr_from(i);
  }
  Result<void> truncate(uint64_t size) override { return file_.truncate(size); }
  Result<void> set_attr(const AttrChange& change) override { return file_.set_attr(change); }
  Result<void> sync() override { return file_.fsync(); }
  Result<uint8_t> lock(const p9::Lock& l) override { return file_.lock(l); }
  Result<p9::Lock> getlock(const p9::Lock& l) override { return file_.getlock(l); }
  bool appends() const override { return append_; }
  bool is_directory() const override { return file_.fid().qid().type & p9::QTDIR; }
  size_t max_io() const override { return max_io_; }

 private:
  FileUse use_;  // first: destroyed last, after file_ has clunked its fid
  p9::File file_;
  bool append_;
  size_t max_io_;
};

std::string or_root(const std::string& p) { return p.empty() ? "." : p; }

}  // namespace

NinepServer::NinepServer(xenos::Owned<p9::Connection> connection)
    : connection_(std::move(connection)), label_("9p:" + connection_->name()) {}

Result<Attr> NinepServer::stat(const std::string& path) {
  p9::FileInfo i = TRY(connection_->client().stat(or_root(path)));
  return attr_from(i);
}

Result<xenos::Owned<OpenFile>> NinepServer::open(const std::string& path, uint32_t mode, uint32_t perm) {
  p9::File f = TRY(connection_->client().open(or_root(path), mode, perm));
  return xenos::Owned<OpenFile>(
      new NinepFile(this, std::move(f), mode & kAppend, connection_->client().msize() - p9::IOHDRSZ));
}

void NinepServer::retire(NinepServer* server) {
  if (server->open_files_ == 0)
    delete server;
  else
    server->retired_ = true;
}

Result<std::vector<Entry>> NinepServer::list(const std::string& path) {
  std::vector<p9::DirItem> items = TRY(connection_->client().readdir(or_root(path)));
  std::vector<Entry> out;
  out.reserve(items.size());
  for (p9::DirItem& i : items) out.push_back({std::move(i.name), i.is_dir(), i.qid.path});
  return out;
}

Result<void> NinepServer::mkdir(const std::string& path, uint32_t perm) {
  return connection_->client().mkdir(path, perm);
}
Result<void> NinepServer::remove(const std::string& path) { return connection_->client().remove(path); }
Result<void> NinepServer::rename(const std::string& from, const std::string& to) {
  return connection_->client().rename(from, to);
}
Result<void> NinepServer::set_attr(const std::string& path, const AttrChange& change) {
  return connection_->client().set_attr(or_root(path), change);
}
Result<void> NinepServer::symlink(const std::string& path, const std::string& target) {
  return connection_->client().symlink(path, target);
}
Result<std::string> NinepServer::readlink(const std::string& path) { return connection_->client().readlink(path); }

}  // namespace ns
