// iohost's export and dev trees through lib9p's server and client in process: confinement
// (symbolic links absolute and relative, "..", a rename racing the walks), read-only exports,
// special files, locks; the dev files.
// Project headers first: protocol.h spells Linux's O_* names, which <fcntl.h> makes macros.
#include "trees/dev_tree.h"
#include "trees/export_tree.h"
#include "loopback_server.h"
#include "temp_dir.h"
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

using namespace p9;
using p9test::LoopbackServer;

namespace {

using p9test::TempDir;

std::string read_all(Client& c, const std::string& path, Error* error = nullptr) {
  auto f = c.open(path, kRead);
  if (!f) {
    if (error) *error = f.error();
    return "<error>";
  }
  std::string out(4096, '\0');
  auto n = f->pread(std::as_writable_bytes(std::span(out)), 0);
  if (!n) {
    if (error) *error = n.error();
    return "<error>";
  }
  out.resize(*n);
  return out;
}

// An export of `root/export`, with `root/outside/secret` next to it (what must stay unreachable).
struct Exported {
  TempDir dir;
  Server server;
  std::unique_ptr<LoopbackServer> loop;
  ThreadSync sync;
  std::unique_ptr<Client> client;
  explicit Exported(bool read_only = false, bool on_workers = false) {
    ::mkdir((dir.path + "/export").c_str(), 0755);
    ::mkdir((dir.path + "/outside").c_str(), 0755);
    dir.write("outside/secret", "SECRET");
    dir.write("export/hello", "hello");
    auto tree = iohost::ExportTree::open(dir.path + "/export", read_only, nullptr, on_workers);
    EXPECT_TRUE(tree);
    server.add("data", *tree);
    server.add("dev", std::make_shared<iohost::DevTree>());
    loop = std::make_unique<LoopbackServer>(server);
    client = std::make_unique<Client>(*loop, sync);
    auto m = client->mount({.aname = "data"});
    EXPECT_TRUE(m) << m.error().message;
  }
  std::string in(const std::string& rel) const { return dir.path + "/export/" + rel; }
};

}  // namespace

TEST(ExportConfinement, AnAbsoluteSymlinkIsNeverFollowed) {
  Exported e;
  ASSERT_EQ(::symlink((e.dir.path + "/outside").c_str(), e.in("out").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", e.in("passwd").c_str()), 0);
  Error err;
  EXPECT_EQ(read_all(*e.client, "out/secret", &err), "<error>");
  EXPECT_EQ(err.code, ENOTDIR) << err.message;
  EXPECT_EQ(read_all(*e.client, "passwd", &err), "<error>");
  auto info = e.client->stat("passwd");  // the link itself is a file of the tree
  ASSERT_TRUE(info);
  EXPECT_EQ(info->mode & 0170000, 0120000u);
}

TEST(ExportConfinement, ARelativeSymlinkAndDotDotStayInside) {
  Exported e;
  ASSERT_EQ(::symlink("../outside", e.in("rel").c_str()), 0);
  ::mkdir(e.in("sub").c_str(), 0755);
  Error err;
  EXPECT_EQ(read_all(*e.client, "rel/secret", &err), "<error>");
  EXPECT_EQ(read_all(*e.client, "../outside/secret", &err), "<error>");
  EXPECT_EQ(err.code, ENOENT) << err.message;
  EXPECT_EQ(read_all(*e.client, "sub/../../../outside/secret", &err), "<error>");
  EXPECT_EQ(read_all(*e.client, "sub/../../hello"), "hello");  // the root is its own parent
}

TEST(ExportConfinement, ARenameRaceNeverLeadsOut) {
  Exported e;
  // d is a real folder with a file named like the secret; "swap" is a link to the outside.
  ::mkdir(e.in("d").c_str(), 0755);
  e.dir.write("export/d/secret", "inside");
  ASSERT_EQ(::symlink((e.dir.path + "/outside").c_str(), e.in("swap").c_str()), 0);
  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::thread swapper([&] {
    while (!stop) {
      ::renameat2(AT_FDCWD, e.in("d").c_str(), AT_FDCWD, e.in("swap").c_str(), RENAME_EXCHANGE);
      ++swaps;
    }
  });
  int inside = 0, escaped = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  for (int i = 0; i < 20000 && std::chrono::steady_clock::now() < until; ++i) {
    std::string got = read_all(*e.client, "d/secret");
    if (got == "inside") ++inside;
    if (got == "SECRET") ++escaped;
  }
  stop = true;
  swapper.join();
  EXPECT_EQ(escaped, 0);
  EXPECT_GT(inside, 0);
  EXPECT_GT(swaps.load(), 100);
}

TEST(ExportTree, CreateLinkRenameUnlinkAndLocksAsTheHostSeesThem) {
  Exported e;
  {
    auto f = e.client->open("made", kReadWrite | kCreate, 0640);
    ASSERT_TRUE(f) << f.error().message;
    std::string text = "written";
    ASSERT_TRUE(f->pwrite(std::as_bytes(std::span(text)), 0));
    // Two opens of one file: a write lock on the first blocks the second.
    auto g = e.client->open("made", kReadWrite);
    ASSERT_TRUE(g);
    Lock l{P9_LOCK_TYPE_WRLCK, 0, 0, 0, 1, "test"};
    auto first = e.client->call<Rlock>(Tlock{f->fid().number(), l});
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->status, P9_LOCK_SUCCESS);
    auto second = e.client->call<Rlock>(Tlock{g->fid().number(), l});
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, P9_LOCK_BLOCKED);
    auto held = e.client->call<Rgetlock>(Tgetlock{g->fid().number(), l});
    ASSERT_TRUE(held);
    EXPECT_EQ(held->lock.type, P9_LOCK_TYPE_WRLCK);
  }
  struct stat st;
  ASSERT_EQ(::stat(e.in("made").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(st.st_size, 7);
  ASSERT_TRUE(e.client->rename("made", "renamed"));
  EXPECT_NE(::access(e.in("made").c_str(), F_OK), 0);
  ASSERT_TRUE(e.client->mkdir("dir"));
  EXPECT_EQ(::stat(e.in("dir").c_str(), &st), 0);
  ASSERT_TRUE(e.client->remove("dir"));
  ASSERT_TRUE(e.client->remove("renamed"));
  EXPECT_NE(::access(e.in("renamed").c_str(), F_OK), 0);
}

TEST(ExportTree, ReadOnlyRefusesEveryChange) {
  Exported e(true);
  EXPECT_EQ(read_all(*e.client, "hello"), "hello");
  auto w = e.client->open("hello", kWrite);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, EROFS);
  auto c = e.client->open("new", kWrite | kCreate);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, EROFS);
  auto r = e.client->remove("hello");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EROFS);
  EXPECT_EQ(::access(e.in("hello").c_str(), F_OK), 0);
}

TEST(ExportTree, SpecialFilesAreNeitherMadeNorOpened) {
  Exported e;
  ASSERT_EQ(::mkfifo(e.in("fifo").c_str(), 0644), 0);
  auto f = e.client->open("fifo", kRead);  // would block the event loop
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, EPERM);
  auto root = e.client->walk("");
  ASSERT_TRUE(root);
  auto dev = e.client->call<Rmknod>(Tmknod{root->number(), "null", 020666, 1, 3, 0});
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error().code, EPERM);
}

TEST(ExportTree, CreatingOverAFifoNeverOpensIt) {
  Exported e;
  ASSERT_EQ(::mkfifo(e.in("fifo").c_str(), 0644), 0);
  // Without O_EXCL, Tlcreate of an existing name opens it: a FIFO opened for writing with no
  // reader would wait for ever (QEMU's CVE-2023-2861). Refused at once instead.
  for (uint32_t mode : {kWrite | kCreate, kReadWrite | kCreate, kRead | kCreate}) {
    auto f = e.client->open("fifo", mode);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, EPERM) << f.error().message;
  }
}

TEST(ExportTree, OnTheWorkerPoolEveryCallWorksTheSame) {
  Exported e(false, true);
  auto f = e.client->open("made-on-a-worker", kReadWrite | kCreate | kExclusive, 0600);
  ASSERT_TRUE(f) << f.error().message;
  std::string text = "written by a worker";
  auto n = f->pwrite(std::as_bytes(std::span(text.data(), text.size())), 0);
  ASSERT_TRUE(n);
  EXPECT_EQ(read_all(*e.client, "made-on-a-worker"), text);
  EXPECT_EQ(read_all(*e.client, "hello"), "hello");
  EXPECT_TRUE(e.client->remove("made-on-a-worker"));
}

TEST(DevTree, NullZeroRandomTimeAndCons) {
  TempDir unused;
  Server server;
  server.add("dev", std::make_shared<iohost::DevTree>());
  LoopbackServer loop(server);
  ThreadSync sync;
  Client c(loop, sync);
  ASSERT_TRUE(c.mount({.aname = "dev"}));
  EXPECT_EQ(read_all(c, "null"), "");
  EXPECT_EQ(read_all(c, "zero"), std::string(4096, '\0'));
  std::string a = read_all(c, "random"), b = read_all(c, "random");
  EXPECT_EQ(a.size(), 4096u);
  EXPECT_NE(a, b);
  EXPECT_NE(a, std::string(4096, '\0'));
  long long sec = 0, nsec = 0, ticks = 0, hz = 0;
  ASSERT_EQ(std::sscanf(read_all(c, "time").c_str(), "%lld %lld %lld %lld", &sec, &nsec, &ticks, &hz), 4);
  EXPECT_NEAR(double(sec), double(::time(nullptr)), 5);
  EXPECT_EQ(hz, 1000000000);
  auto cons = c.open("cons", kWrite);
  ASSERT_TRUE(cons) << cons.error().message;
  std::string line = "a line for the host's log\n";
  EXPECT_EQ(*cons->pwrite(std::as_bytes(std::span(line)), 0), line.size());
  EXPECT_FALSE(c.open("cons", kRead));
}
