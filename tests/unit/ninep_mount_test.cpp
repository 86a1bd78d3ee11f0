// The guest's namespace mounts 9P over any transport: ns::NinepServer holds a p9::Connection,
// here lib9p's client over an in-process transport to iohost's export tree (the server iohost
// runs for guests), instead of Xen 9pfs rings. Path walks, symbolic links, writes, listings
// and unmount with a file still open all go through the same code the guest runs.
// Project headers first: protocol.h spells Linux's O_* names, which <fcntl.h> makes macros.
#include "trees/export_tree.h"
#include "loopback_server.h"
#include "temp_dir.h"
#include "ns/namespace.h"
#include "ns/ninep_server.h"
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace {

using p9test::TempDir;

// A host folder served by iohost's ExportTree, reached through a loopback transport.
class LoopbackConnection final : public p9::Connection {
 public:
  explicit LoopbackConnection(const std::string& folder, bool* destroyed) : destroyed_(destroyed) {
    auto tree = iohost::ExportTree::open(folder, false);
    EXPECT_TRUE(tree);
    server_.add("data", *tree);
    loop_ = std::make_unique<p9test::LoopbackServer>(server_);
    client_ = std::make_unique<p9::Client>(*loop_, sync_);
    auto m = client_->mount({.aname = "data"});
    EXPECT_TRUE(m) << m.error().message;
  }
  ~LoopbackConnection() override {
    client_.reset();  // clunks the root fid while the server is still there
    *destroyed_ = true;
  }
  p9::Client& client() override { return *client_; }
  std::string name() const override { return "loopback"; }

 private:
  bool* destroyed_;
  p9::Server server_;
  std::unique_ptr<p9test::LoopbackServer> loop_;
  p9::ThreadSync sync_;
  std::unique_ptr<p9::Client> client_;
};

std::string read_whole(ns::OpenFile& f) {
  std::string out(4096, '\0');
  auto n = f.read(std::as_writable_bytes(std::span(out)), 0);
  EXPECT_TRUE(n) << n.error().message;
  out.resize(n ? *n : 0);
  return out;
}

}  // namespace

TEST(NinepMount, TheNamespaceMountsAClientOverAnyTransport) {
  TempDir dir;
  ::mkdir((dir.path + "/sub").c_str(), 0755);
  std::ofstream(dir.path + "/sub/hello.txt") << "hello over loopback";
  ASSERT_EQ(::symlink("sub/hello.txt", (dir.path + "/link").c_str()), 0);
  bool destroyed = false;
  auto* server = new ns::NinepServer(xenos::Owned<p9::Connection>(new LoopbackConnection(dir.path, &destroyed)));
  EXPECT_STREQ(server->name(), "9p:loopback");

  ns::Namespace space;
  ASSERT_TRUE(space.mount(server, "/", "/fs", ns::MREPL));
  auto attr = space.stat("/fs/sub/hello.txt");
  ASSERT_TRUE(attr) << attr.error().message;
  EXPECT_EQ(attr->size, 19u);
  auto through_link = space.open("/fs/link", p9::kRead, 0);  // the namespace follows the link
  ASSERT_TRUE(through_link) << through_link.error().message;
  EXPECT_EQ(read_whole(**through_link), "hello over loopback");

  auto created = space.open("/fs/sub/new.txt", p9::kWrite | p9::kCreate, 0644);
  ASSERT_TRUE(created) << created.error().message;
  std::string text = "written through the namespace";
  auto n = (*created)->write(std::as_bytes(std::span(text)), 0);
  ASSERT_TRUE(n && *n == text.size());
  *created = {};  // close
  EXPECT_EQ(dir.slurp("sub/new.txt"), text) << "on the host's disk";

  auto listing = space.list("/fs/sub");
  ASSERT_TRUE(listing);
  std::vector<std::string> names;
  for (auto& e : *listing) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"hello.txt", "new.txt"}));

  // Unmounted with a file open: the server, and its connection, live until that file closes.
  ASSERT_TRUE(space.unmount("", "/fs"));
  EXPECT_FALSE(space.uses(server));
  ns::NinepServer::retire(server);
  EXPECT_FALSE(destroyed);
  EXPECT_EQ(read_whole(**through_link), "hello over loopback");
  *through_link = {};
  EXPECT_TRUE(destroyed);
}
