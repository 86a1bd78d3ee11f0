// lib9p against a real 9P2000.L server: diod (Debian's, written by others: the judge), and
// iohost (ours) with the same suite. Every file-API call, big files, many requests in flight
// from many threads, and the error paths; the export folder is checked directly on the host
// too. Started by tests/interop/run.sh, which sets P9_TEST_SERVER (diod or iohost),
// P9_TEST_ADDRESS, P9_TEST_EXPORT and P9_TEST_ANAME.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include "p9/client.h"
#include "socket_transport.h"
#include "thread_sync.h"

namespace {

std::string address() {
  const char* a = std::getenv("P9_TEST_ADDRESS");
  return a ? a : "";
}
std::string export_dir() {
  const char* e = std::getenv("P9_TEST_EXPORT");
  return e ? e : "";
}
std::string aname() {
  const char* a = std::getenv("P9_TEST_ANAME");
  return a ? a : export_dir();
}
// "iohost", or "iohost-import-..." (iohost in front of another server): what iohost answers.
// nfs-ganesha 4.3, directly or behind iohost's import: where it differs from diod, said below.
bool ganesha() {
  const char* s = std::getenv("P9_TEST_SERVER");
  return s && std::string(s).find("ganesha") != std::string::npos;
}
bool iohost() {
  const char* s = std::getenv("P9_TEST_SERVER");
  return s && std::string(s).rfind("iohost", 0) == 0;
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::string host_read(const std::string& relative) {
  std::ifstream in(export_dir() + "/" + relative, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class Diod : public ::testing::Test {
 protected:
  void SetUp() override {
    if (address().empty()) GTEST_SKIP() << "run through tests/interop/run.sh (needs diod)";
    auto t = p9::SocketTransport::dial(address());
    ASSERT_TRUE(t) << t.error().message;
    transport = std::move(*t);
    client = std::make_unique<p9::Client>(*transport, sync);
    p9::MountOptions o;
    o.aname = aname();
    auto m = client->mount(o);
    ASSERT_TRUE(m) << m.error().message;
  }
  std::unique_ptr<p9::SocketTransport> transport;
  p9::ThreadSync sync;
  std::unique_ptr<p9::Client> client;
};

TEST_F(Diod, NegotiatesDotLAndAnMsizeDiodAccepts) {
  EXPECT_EQ(client->dialect(), p9::Dialect::k9P2000L);
  EXPECT_EQ(client->version(), "9P2000.L");
  EXPECT_GE(client->msize(), 8192u);
  EXPECT_LE(client->msize(), 512u * 1024);
}

TEST_F(Diod, RefusesADialectTheServerDoesNotSpeakWithAClearError) {
  auto t = p9::SocketTransport::dial(address());
  ASSERT_TRUE(t);
  p9::Client other(**t, sync);
  p9::MountOptions o;
  o.aname = aname();
  o.dialect = p9::Dialect::k9P2000u;  // diod answers Rlerror(EIO)
  auto m = other.mount(o);
  if (iohost()) {  // iohost speaks all three dialects
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(other.dialect(), p9::Dialect::k9P2000u);
    return;
  }
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("9P2000.u"), std::string::npos) << m.error().message;
}

TEST_F(Diod, CreateWriteReadStatRemove) {
  std::string text = "hello from lib9p\n";
  {
    auto f = client->open("created.txt", p9::kReadWrite | p9::kCreate | p9::kExclusive, 0640);
    ASSERT_TRUE(f) << f.error().message;
    auto n = f->pwrite(as_bytes(text), 0);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, text.size());
    std::vector<std::byte> back(100);
    auto r = f->pread(back, 0);
    ASSERT_TRUE(r);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(back.data()), *r), text);
    auto st = f->stat();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->size, text.size());
    EXPECT_EQ(st->mode & 0777, 0640u);
    EXPECT_FALSE(st->is_dir());
    ASSERT_TRUE(f->fsync());
  }
  EXPECT_EQ(host_read("created.txt"), text);
  auto again = client->open("created.txt", p9::kWrite | p9::kCreate | p9::kExclusive);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, EEXIST);
  ASSERT_TRUE(client->remove("created.txt"));
  struct stat sb;
  EXPECT_NE(::stat((export_dir() + "/created.txt").c_str(), &sb), 0);
}

TEST_F(Diod, TruncateRenameAndAppend) {
  {
    auto f = client->open("t.txt", p9::kWrite | p9::kCreate);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->pwrite(as_bytes(std::string("0123456789")), 0));
    ASSERT_TRUE(f->truncate(4));
  }
  EXPECT_EQ(host_read("t.txt"), "0123");
  ASSERT_TRUE(client->truncate("t.txt", 2));
  EXPECT_EQ(host_read("t.txt"), "01");
  {
    auto f = client->open("t.txt", p9::kWrite | p9::kAppend);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->pwrite(as_bytes(std::string("ab")), 0));  // offset ignored: appended
  }
  if (ganesha()) {
    // nfs-ganesha ignores O_APPEND at Tlopen and writes at the offset given (Linux's v9fs
    // positions appends itself, so Linux never notices).
    EXPECT_EQ(host_read("t.txt"), "ab");
    ASSERT_TRUE(client->truncate("t.txt", 0));
    auto f = client->open("t.txt", p9::kWrite);
    ASSERT_TRUE(f->pwrite(as_bytes(std::string("01ab")), 0));
  }
  EXPECT_EQ(host_read("t.txt"), "01ab");
  ASSERT_TRUE(client->mkdir("moved-to"));
  auto r = client->rename("t.txt", "moved-to/u.txt");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(host_read("moved-to/u.txt"), "01ab");
  ASSERT_TRUE(client->remove("moved-to/u.txt"));
  ASSERT_TRUE(client->remove("moved-to"));
}

TEST_F(Diod, ListsADirectoryLargerThanOneReply) {
  ASSERT_TRUE(client->mkdir("many", 0755));
  const int kFiles = 1500;  // ~1500 * 30 bytes: several Rreaddir replies at any msize diod takes
  for (int i = 0; i < kFiles; ++i) {
    auto f = client->open("many/file-with-a-longish-name-" + std::to_string(i), p9::kWrite | p9::kCreate);
    ASSERT_TRUE(f) << i << ": " << f.error().message;
  }
  auto items = client->readdir("many");
  ASSERT_TRUE(items) << items.error().message;
  EXPECT_EQ(items->size(), size_t(kFiles));
  std::vector<bool> seen(kFiles);
  for (auto& it : *items) seen[std::stoi(it.name.substr(it.name.rfind('-') + 1))] = true;
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), kFiles);
  for (int i = 0; i < kFiles; ++i)
    ASSERT_TRUE(client->remove("many/file-with-a-longish-name-" + std::to_string(i)));
  ASSERT_TRUE(client->remove("many"));
}

TEST_F(Diod, BigFileBothWays) {
  const size_t kSize = 80u << 20;  // > 64 MiB
  std::vector<std::byte> data(kSize);
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < kSize; i += 8) {
    uint64_t v = rng();
    std::memcpy(data.data() + i, &v, 8);
  }
  {
    auto f = client->open("big.bin", p9::kWrite | p9::kCreate | p9::kTruncate);
    ASSERT_TRUE(f);
    auto n = f->pwrite(data, 0);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, kSize);
  }
  struct stat sb;
  ASSERT_EQ(::stat((export_dir() + "/big.bin").c_str(), &sb), 0);
  EXPECT_EQ(size_t(sb.st_size), kSize);
  std::vector<std::byte> back(kSize + 4096);
  auto f = client->open("big.bin", p9::kRead);
  ASSERT_TRUE(f);
  auto n = f->pread(back, 0);  // asks for more than there is: a short read at the end
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, kSize);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), back.begin()));
  auto tail = f->pread(std::span(back).first(100), kSize - 10);
  ASSERT_TRUE(tail);
  EXPECT_EQ(*tail, 10u);
  auto past = f->pread(std::span(back).first(100), kSize + 100);
  ASSERT_TRUE(past);
  EXPECT_EQ(*past, 0u);
  f->close();
  ASSERT_TRUE(client->remove("big.bin"));
}

TEST_F(Diod, ManyThreadsManyRequestsInFlight) {
  ASSERT_TRUE(client->mkdir("threads"));
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        std::string path = "threads/t" + std::to_string(t) + "-" + std::to_string(i);
        std::string body = path + " body";
        auto f = client->open(path, p9::kReadWrite | p9::kCreate);
        if (!f || !f->pwrite(as_bytes(body), 0)) {
          ++errors;
          continue;
        }
        std::vector<std::byte> back(body.size());
        auto n = f->pread(back, 0);
        if (!n || *n != body.size() || std::memcmp(back.data(), body.data(), body.size()) != 0) ++errors;
        auto st = client->stat(path);
        if (!st || st->size != body.size()) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  auto items = client->readdir("threads");
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), 320u);
  for (auto& it : *items) ASSERT_TRUE(client->remove("threads/" + it.name));
  ASSERT_TRUE(client->remove("threads"));
}

TEST_F(Diod, WalksDeeperThanSixteenNamesAndNamesTheMissingOne) {
  std::string path;
  for (int i = 0; i < 20; ++i) {
    path += (i ? "/" : "") + std::string("d") + std::to_string(i);
    ASSERT_TRUE(client->mkdir(path)) << path;
  }
  auto fid = client->walk(path);
  ASSERT_TRUE(fid) << fid.error().message;
  EXPECT_TRUE(fid->qid().type & p9::QTDIR);
  auto f = client->open(path + "/leaf.txt", p9::kWrite | p9::kCreate);
  ASSERT_TRUE(f) << f.error().message;
  f->close();
  auto deep = client->stat(path + "/leaf.txt");
  ASSERT_TRUE(deep);
  auto missing = client->walk(path.substr(0, path.find("/d18")) + "/nope/d19");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  // nfs-ganesha answers a walk that fails part way with an error, not with the qids it
  // reached (walk(5)), so the missing name cannot be told; behind iohost it can.
  if (!(ganesha() && !iohost())) {
    EXPECT_NE(missing.error().message.find("\"nope\""), std::string::npos) << missing.error().message;
  }
  for (int i = 19; i >= 0; --i) {
    if (i == 19) {
      ASSERT_TRUE(client->remove(path + "/leaf.txt"));
    }
    ASSERT_TRUE(client->remove(path)) << path;
    path = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  }
}

TEST_F(Diod, ErrorPathsCarryErrnoAndContext) {
  auto none = client->open("does-not-exist", p9::kRead);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ENOENT);
  EXPECT_NE(none.error().message.find("does-not-exist"), std::string::npos);
  {
    auto f = client->open("plain", p9::kWrite | p9::kCreate);
    ASSERT_TRUE(f);
  }
  auto through_file = client->open("plain/child", p9::kRead);
  ASSERT_FALSE(through_file);
  EXPECT_EQ(through_file.error().code, ENOTDIR) << through_file.error().message;
  auto listing_a_file = client->readdir("plain");
  ASSERT_FALSE(listing_a_file);
  EXPECT_EQ(listing_a_file.error().code, ENOTDIR);
  ASSERT_TRUE(client->mkdir("full"));
  {
    auto f = client->open("full/x", p9::kWrite | p9::kCreate);
    ASSERT_TRUE(f);
  }
  auto not_empty = client->remove("full");
  ASSERT_FALSE(not_empty);
  EXPECT_EQ(not_empty.error().code, ENOTEMPTY) << not_empty.error().message;
  auto exists = client->mkdir("full");
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.error().code, EEXIST);
  ASSERT_TRUE(client->remove("full/x"));
  ASSERT_TRUE(client->remove("full"));
  ASSERT_TRUE(client->remove("plain"));
}

TEST_F(Diod, PermissionDeniedForAnotherUser) {
  // diod runs as root here and serves each attach as its n_uname: uid 65534 may not write
  // into a root-owned 0755 directory.
  if (iohost()) GTEST_SKIP() << "iohost serves every attach as its own user (iohost/README.md)";
  ASSERT_TRUE(client->mkdir("rootonly", 0755));
  auto t = p9::SocketTransport::dial(address());
  ASSERT_TRUE(t);
  p9::Client nobody(**t, sync);
  p9::MountOptions o;
  o.aname = aname();
  o.uname = "nobody";
  o.n_uname = 65534;
  auto m = nobody.mount(o);
  if (!m) {
    GTEST_SKIP() << "diod refused uid 65534 here: " << m.error().message;
  }
  auto denied = nobody.open("rootonly/x", p9::kWrite | p9::kCreate);
  ASSERT_FALSE(denied);
  if (ganesha())
    EXPECT_EQ(denied.error().code, EPERM) << denied.error().message;  // its choice
  else
    EXPECT_EQ(denied.error().code, EACCES) << denied.error().message;
  ASSERT_TRUE(client->remove("rootonly"));
}

}  // namespace
