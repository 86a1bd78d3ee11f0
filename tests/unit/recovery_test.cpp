// The client's session recovery (MountOptions::recover_within_ns) against lib9p's real server
// and iohost's export tree over a temporary folder, behind a transport whose server "process"
// can die at a chosen request and come back (a new Session: every fid and tag of the old one
// gone, as when iohost restarts). Mock transport, real server code: unit tests of the logic;
// the evidence on Xen is the faulttest job.
#include "trees/export_tree.h"
#include <gtest/gtest.h>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>
#include "p9/client.h"
#include "p9/server.h"
#include "thread_sync.h"

using namespace p9;

namespace {

std::chrono::steady_clock::time_point at(uint64_t ns) {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}
uint64_t now_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

class CrashingServer final : public Transport, public ReplySink {
 public:
  explicit CrashingServer(const Server& server) : server_(server) { start(); }
  ~CrashingServer() override {
    std::lock_guard<std::mutex> l(mu_);
    session_.reset();
  }

  // The server dies when a request matches (the request is never answered; replies not yet
  // read are lost with the connection). Checked on every request after the mount.
  std::function<bool(Type)> crash_on;
  bool comes_back = true;  // reconnect() succeeds (false: it waits out its deadline)
  // The server takes requests that match and never answers them, alive otherwise (a stopped
  // process when it matches everything; a parked /net listen when it matches one kind).
  std::function<bool(Type)> ignore;
  std::atomic<int> getattrs{0};  // Tgetattr requests served (the client's liveness probes)
  int abandoned = 0;  // abandon() calls

  size_t max_message_size() const override { return 8192 + 64; }  // small msize: many chunks
  Result<void> send(std::span<const std::byte> m, uint16_t) override {
    std::lock_guard<std::mutex> l(mu_);
    if (!session_) return Error{ECONNRESET, "the server is gone"};
    auto type = Type(uint8_t(m[4]));
    if (ignore && ignore(type)) return {};
    if (type == Type::Tgetattr) ++getattrs;
    if (crash_on && type != Type::Tversion && type != Type::Tattach && crash_on(type)) {
      crash_locked();
      return {};  // it went out; nobody will answer
    }
    ++served_;
    if (auto r = session_->receive(m); !r) crash_locked();
    return {};
  }
  Result<std::vector<std::byte>> receive(uint64_t deadline_ns) override {
    std::unique_lock<std::mutex> l(mu_);
    auto ready = [&] { return !replies_.empty() || !session_; };
    if (deadline_ns == 0)
      cv_.wait(l, ready);
    else if (!cv_.wait_until(l, at(deadline_ns), ready))
      return Error{ETIMEDOUT, "no reply"};
    if (replies_.empty()) return Error{ECONNRESET, "the server is gone"};
    auto m = std::move(replies_.front());
    replies_.pop_front();
    return m;
  }
  Result<void> reconnect(uint64_t deadline_ns) override {
    std::unique_lock<std::mutex> l(mu_);
    ++reconnects;
    if (!comes_back) {
      cv_.wait_until(l, at(deadline_ns), [] { return false; });
      return Error{ECONNREFUSED, "nobody listens"};
    }
    crash_on = nullptr;  // one crash per test unless it sets another
    ignore = nullptr;
    start();
    return {};
  }
  void send(std::vector<std::byte> reply, uint16_t /*lane*/) override {  // ReplySink, called with mu_ held
    replies_.push_back(std::move(reply));
    cv_.notify_all();
  }
  void crash() {
    std::lock_guard<std::mutex> l(mu_);
    crash_locked();
  }
  void abandon() override {  // as a socket shut down: what is blocked in it returns
    ++abandoned;
    crash();
  }
  int reconnects = 0;
  size_t server_fids() {
    std::lock_guard<std::mutex> l(mu_);
    return session_ ? session_->fid_count() : 0;
  }

 private:
  void start() { session_.emplace(server_, *this, nullptr, "crashing", max_message_size()); }
  void crash_locked() {
    session_.reset();
    replies_.clear();
    cv_.notify_all();
  }
  const Server& server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<std::byte>> replies_;
  std::optional<Session> session_;
  int served_ = 0;
};

struct Fixture {
  std::string dir;
  Server server;
  std::unique_ptr<CrashingServer> transport;
  ThreadSync sync;
  std::unique_ptr<Client> client;
  explicit Fixture(uint64_t recover_ns = 2'000'000'000, uint64_t hang_ns = 0) {
    char t[] = "/tmp/recovery-test.XXXXXX";
    dir = ::mkdtemp(t);
    auto tree = iohost::ExportTree::open(dir, false);
    EXPECT_TRUE(tree);
    server.add("data", *tree);
    transport = std::make_unique<CrashingServer>(server);
    client = std::make_unique<Client>(*transport, sync);
    MountOptions o;
    o.aname = "data";
    o.recover_within_ns = recover_ns;
    o.hang_after_ns = hang_ns;
    o.pipeline_depth = 4;
    auto m = client->mount(o);
    EXPECT_TRUE(m) << m.error().message;
  }
  ~Fixture() {
    client.reset();
    std::system(("rm -rf '" + dir + "'").c_str());
  }
  void put(const std::string& name, const std::string& text) const {
    std::ofstream(dir + "/" + name) << text;
  }
  std::string get(const std::string& name) const {
    std::ifstream f(dir + "/" + name);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
};

std::vector<std::byte> pattern(size_t n) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::byte((i * 131 + i / 8192) & 0xff);
  return v;
}

// A crash after the n-th request of type t.
std::function<bool(Type)> after(int n, Type t) {
  auto seen = std::make_shared<int>(0);
  return [=](Type got) { return got == t && ++*seen > n; };
}

}  // namespace

TEST(Recovery, APipelinedWriteCutByACrashIsCompleteAfterwards) {
  Fixture f;
  auto file = f.client->open("big", kWrite | kCreate | kTruncate);
  ASSERT_TRUE(file) << file.error().message;
  auto data = pattern(40 * 8192 + 100);  // 41 chunks, 4 in flight
  f.transport->crash_on = after(10, Type::Twrite);
  auto n = file->pwrite(data, 0);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, data.size());
  EXPECT_EQ(f.client->recoveries(), 1u);
  EXPECT_EQ(f.transport->reconnects, 1);
  std::string on_disk = f.get("big");
  ASSERT_EQ(on_disk.size(), data.size());
  EXPECT_TRUE(std::equal(data.begin(), data.end(), reinterpret_cast<const std::byte*>(on_disk.data())));
}

TEST(Recovery, OpenFilesKeepWorkingAndAReadCutByACrashCompletes) {
  Fixture f;
  auto data = pattern(20 * 8192);
  f.put("r", std::string(reinterpret_cast<const char*>(data.data()), data.size()));
  f.put("other", "still here");
  auto reader = f.client->open("r", kRead);
  auto other = f.client->open("other", kRead);
  ASSERT_TRUE(reader && other);
  uint32_t fid_before = reader->fid().number();
  f.transport->crash_on = after(5, Type::Tread);
  std::vector<std::byte> back(data.size());
  auto n = reader->pread(back, 0);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, data.size());
  EXPECT_EQ(back, data);
  EXPECT_EQ(reader->fid().number(), fid_before);  // the same fid, made again under its number
  std::string text(32, '\0');
  auto m = other->pread(std::as_writable_bytes(std::span(text)), 0);  // opened before, never used since
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(text.substr(0, *m), "still here");
  EXPECT_EQ(f.client->recoveries(), 1u);
}

TEST(Recovery, ACreateInFlightFailsAndIsNotRepeated) {
  Fixture f;
  f.transport->crash_on = [](Type t) { return t == Type::Tlcreate; };
  auto file = f.client->open("new", kWrite | kCreate | kExclusive);
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, EIO);
  EXPECT_NE(file.error().message.find("Tlcreate"), std::string::npos) << file.error().message;
  EXPECT_NE(file.error().message.find("not repeated"), std::string::npos) << file.error().message;
  // The session itself is back: the next call works.
  auto again = f.client->open("new", kWrite | kCreate);
  EXPECT_TRUE(again) << again.error().message;
}

TEST(Recovery, AnAppendInFlightFailsAndIsNotRepeated) {
  Fixture f;
  f.put("log", "one\n");
  auto file = f.client->open("log", kWrite | kAppend);
  ASSERT_TRUE(file);
  f.transport->crash_on = [](Type t) { return t == Type::Twrite; };
  std::string line = "two\n";
  auto n = file->pwrite(std::as_bytes(std::span(line)), 0);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, EIO);
  EXPECT_NE(n.error().message.find("append"), std::string::npos) << n.error().message;
  // Reopened for append by the recovery: a new write appends once.
  auto m = file->pwrite(std::as_bytes(std::span(line)), 0);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(f.get("log"), "one\ntwo\n");
}

TEST(Recovery, AServerThatNeverReturnsGivesEioWithinTheDeadline) {
  Fixture f(300'000'000);
  f.put("x", "x");
  auto file = f.client->open("x", kRead);
  ASSERT_TRUE(file);
  f.transport->comes_back = false;
  f.transport->crash();
  uint64_t start = now_ns();
  std::byte b[4];
  auto n = file->pread(b, 0);
  uint64_t took = now_ns() - start;
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, EIO);
  EXPECT_NE(n.error().message.find("could not be recovered"), std::string::npos) << n.error().message;
  EXPECT_GE(took, 250'000'000u);
  EXPECT_LT(took, 2'000'000'000u);
  // Later calls fail at once: no second wait.
  start = now_ns();
  EXPECT_FALSE(f.client->stat("x"));
  EXPECT_LT(now_ns() - start, 100'000'000u);
  EXPECT_EQ(f.transport->reconnects, 1);
  EXPECT_TRUE(f.client->broken());
}

TEST(Recovery, AServerThatStopsAnsweringIsTakenToBeHungAfterAProbe) {
  Fixture f(0, 200'000'000);  // no recovery; liveness after 200 ms of silence
  f.put("r", "some bytes");
  auto file = f.client->open("r", kRead);
  ASSERT_TRUE(file) << file.error().message;
  f.transport->ignore = [](Type) { return true; };  // alive, answering nothing (SIGSTOP)
  std::byte b[16];
  uint64_t start = now_ns();
  auto n = file->pread(b, 0);
  uint64_t took_ms = (now_ns() - start) / 1000000;
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, EIO);
  EXPECT_NE(n.error().message.find("taken to be hung"), std::string::npos) << n.error().message;
  EXPECT_GE(took_ms, 400u);  // 200 ms of silence, then 200 ms for the probe
  EXPECT_LT(took_ms, 2000u);
  EXPECT_EQ(f.transport->abandoned, 1);
  EXPECT_TRUE(f.client->broken());
}

TEST(Recovery, AHungServerIsRecoveredLikeACrashedOne) {
  Fixture f(2'000'000'000, 100'000'000);
  auto data = pattern(6 * 8192);
  f.put("r", std::string(reinterpret_cast<const char*>(data.data()), data.size()));
  auto file = f.client->open("r", kRead);
  ASSERT_TRUE(file) << file.error().message;
  f.transport->ignore = [](Type t) { return t == Type::Tread || t == Type::Tgetattr; };
  std::vector<std::byte> back(data.size());
  auto n = file->pread(back, 0);  // hung, given up on, reconnected, read again
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(back, data);
  EXPECT_EQ(f.client->recoveries(), 1u);
  EXPECT_EQ(f.transport->reconnects, 1);
}

TEST(Recovery, ARequestTheServerParksIsNoHang) {
  Fixture f(0, 50'000'000);
  f.put("r", "parked");
  auto file = f.client->open("r", kRead);
  ASSERT_TRUE(file) << file.error().message;
  // The server keeps every read waiting (as iohost parks a /net listen) but answers the rest:
  // the client probes through the silence and keeps waiting, until its own request timeout.
  f.transport->ignore = [](Type t) { return t == Type::Tread; };
  std::thread waiter([&] {
    std::byte b[16];
    auto n = file->pread(b, 0);
    EXPECT_FALSE(n);  // it never came: the connection was ended under it, below
  });
  // Three probes (one per 50 + some ms of silence), each answered: waited for, not slept on.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.transport->getattrs < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(f.transport->getattrs, 3);
  EXPECT_EQ(f.transport->abandoned, 0);
  EXPECT_EQ(f.transport->reconnects, 0);
  EXPECT_FALSE(f.client->broken());
  f.transport->crash();  // ends the parked read
  waiter.join();
}

TEST(Recovery, AFileRemovedWhileTheServerWasDownIsStaleTheRestGoOn) {
  Fixture f;
  f.put("gone", "a");
  f.put("kept", "b");
  auto gone = f.client->open("gone", kRead);
  auto kept = f.client->open("kept", kRead);
  ASSERT_TRUE(gone && kept);
  f.transport->crash();
  ::unlink((f.dir + "/gone").c_str());
  std::byte b[4];
  auto n = kept->pread(b, 0);  // the recovery runs here
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 1u);
  auto m = gone->pread(b, 0);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ESTALE);
  EXPECT_NE(m.error().message.find("/gone"), std::string::npos) << m.error().message;
  gone->close();  // clunking a lost fid sends nothing and frees its number
  auto fresh = f.client->open("kept", kRead);
  EXPECT_TRUE(fresh);
}

TEST(Recovery, AFileReplacedUnderItsNameIsNotTakenForIt) {
  Fixture f;
  f.put("doc", "old");
  auto doc = f.client->open("doc", kRead);
  ASSERT_TRUE(doc);
  f.transport->crash();
  ::unlink((f.dir + "/doc").c_str());
  f.put("other-inode", "filler");  // so the new file cannot reuse the old inode number
  f.put("doc", "new");
  std::byte b[4];
  auto n = doc->pread(b, 0);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, ESTALE);
  EXPECT_NE(n.error().message.find("another file"), std::string::npos) << n.error().message;
  // The recovery's walk made the fid on the new server before the qids told it apart: it was
  // clunked there, so its number works again (it would be "fid in use" otherwise).
  doc->close();
  EXPECT_EQ(f.transport->server_fids(), f.client->fids_in_use());
  for (int i = 0; i < 3; ++i) {
    auto again = f.client->open("doc", kRead);
    ASSERT_TRUE(again) << again.error().message;
    auto m = again->pread(b, 0);
    ASSERT_TRUE(m) << m.error().message;
  }
}

TEST(Recovery, ManyThreadsInFlightAcrossACrashAllFinish) {
  Fixture f;
  auto data = pattern(8 * 8192);
  for (int i = 0; i < 4; ++i)
    f.put("f" + std::to_string(i), std::string(reinterpret_cast<const char*>(data.data()), data.size()));
  f.transport->crash_on = after(12, Type::Tread);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto file = f.client->open("f" + std::to_string(i), kRead);
      if (!file) return ADD_FAILURE() << "open: " << file.error().message;
      for (int round = 0; round < 5; ++round) {
        std::vector<std::byte> back(data.size());
        auto n = file->pread(back, 0);
        if (!n) return ADD_FAILURE() << "read: " << n.error().message;
        if (back != data) return ADD_FAILURE() << "read: wrong data, " << *n << " bytes";
      }
      ++good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 4);
  EXPECT_EQ(f.client->recoveries(), 1u);
}

TEST(Recovery, OffByDefaultABrokenSessionStaysBroken) {
  Fixture f(0);
  f.put("x", "x");
  auto file = f.client->open("x", kRead);
  ASSERT_TRUE(file);
  f.transport->crash();
  std::byte b[4];
  auto n = file->pread(b, 0);
  ASSERT_FALSE(n);
  EXPECT_EQ(f.transport->reconnects, 0);
  EXPECT_TRUE(f.client->broken());
}

TEST(Recovery, FidsAreGivenBack) {
  Fixture f;
  f.put("x", "x");
  size_t at_start = f.client->fids_in_use();
  for (int i = 0; i < 100; ++i) {
    auto file = f.client->open("x", kRead);
    ASSERT_TRUE(file);
    if (i == 50) f.transport->crash();
    std::byte b[1];
    ASSERT_TRUE(file->pread(b, 0));
  }
  EXPECT_EQ(f.client->fids_in_use(), at_start);
  EXPECT_EQ(f.client->recoveries(), 1u);
}

TEST(Recovery, ARemoveCutByACrashLeavesNoFidOnEitherSide) {
  Fixture f;
  f.put("doomed", "x");
  f.put("other", "y");
  size_t client_fids = f.client->fids_in_use(), server_fids = f.transport->server_fids();
  auto fid = f.client->walk("doomed");
  ASSERT_TRUE(fid) << fid.error().message;
  uint32_t number = fid->number();
  f.transport->crash_on = [](Type t) { return t == Type::Tremove; };
  auto r = f.client->remove_fid(std::move(*fid));  // lost with the server: not repeated
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EIO);
  EXPECT_NE(r.error().message.find("not repeated"), std::string::npos) << r.error().message;
  // The recovery made the fid again on the new server; it was clunked there, not forgotten.
  EXPECT_EQ(f.client->fids_in_use(), client_fids);
  EXPECT_EQ(f.transport->server_fids(), server_fids);
  auto again = f.client->walk("other");  // the number is free and usable on the server too
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->number(), number);
  EXPECT_EQ(f.get("doomed"), "x");  // the remove never reached the server
}

TEST(Recovery, WalksFromAWalkedFidWhileTheFidTableGrowsKeepTheirPaths) {
  // Each walk from `dir` to a new fid may grow the table of tracked fids (it moves every
  // record): the new record's path is the parent's, copied before the move (issue 27: the
  // sanitizer build of iohost's import tree found it read after the move).
  Fixture f;
  ::mkdir((f.dir + "/dir").c_str(), 0755);
  f.put("dir/file", "inside");
  auto root = f.client->walk("");
  ASSERT_TRUE(root);
  auto dir = f.client->walk(*root, {"dir"});
  ASSERT_TRUE(dir);
  std::vector<Fid> held;
  for (int i = 0; i < 200; ++i) {
    auto file = f.client->walk(*dir, {"file"});
    ASSERT_TRUE(file) << file.error().message;
    held.push_back(std::move(*file));
  }
  f.transport->crash();  // recovery walks every fid again by the path it recorded
  for (const Fid& fid : {std::cref(held.front()), std::cref(held.back())}) {
    auto info = f.client->stat(fid);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->size, 6u);  // "inside": the fid is dir/file again
  }
}
