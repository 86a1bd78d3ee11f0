// iohost's guards against hostile clients (issue 27), the parts that are pure logic: log
// escaping, who may connect, the /net policy's address matching, and the worker pool's
// fairness. The attacks themselves run against a real iohost in tests/interop/hostile.py.
#include <gtest/gtest.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <poll.h>
#include <unistd.h>
#include "transport/access.h"
#include "../../iohost/log.h"  // not kernel/log.h, which -Ikernel finds first
#include "trees/net/net_conversation.h"
#include "worker_pool.h"

using namespace iohost;

TEST(IohostLog, ControlBytesAreEscapedSoOneCallIsOneLine) {
  EXPECT_EQ(escape_for_log("evil\niohost: status: end"), "evil\\x0aiohost: status: end");
  EXPECT_EQ(escape_for_log("\x1b[2J\x07\x7f"), "\\x1b[2J\\x07\\x7f");
  EXPECT_EQ(escape_for_log("a\\x0a"), "a\\\\x0a");  // a literal backslash cannot fake an escape
  EXPECT_EQ(escape_for_log("caf\xc3\xa9 ok"), "caf\xc3\xa9 ok");
}

TEST(IohostAccess, OnlyLoopbackAddressesAreLoopback) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"})
    EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char* h : {"0.0.0.0", "", "::", "10.0.0.1", "192.168.1.1", "::ffff:10.0.0.1", "example.org"})
    EXPECT_FALSE(is_loopback_host(h)) << h;
}

TEST(IohostAccess, RootAndTheOwnerAreAdmittedOthersOnlyWhenNamed) {
  AccessPolicy p;
  EXPECT_TRUE(p.admits(0, {0}));
  EXPECT_TRUE(p.admits(::geteuid(), {}));
  uid_t stranger = ::geteuid() == 12345 ? 12346 : 12345;
  EXPECT_FALSE(p.admits(stranger, {stranger}));
  ASSERT_TRUE(parse_allow(std::to_string(stranger), &p));
  EXPECT_TRUE(p.admits(stranger, {}));
  AccessPolicy g;
  ASSERT_TRUE(parse_allow("@4242", &g));
  EXPECT_FALSE(g.admits(stranger, {100}));
  EXPECT_TRUE(g.admits(stranger, {100, 4242}));  // a supplementary group counts
  EXPECT_FALSE(parse_allow("no-such-user-here", &g));
  EXPECT_FALSE(parse_allow("@", &g));
}

TEST(IohostNetPolicy, AnAddressMatchesItsRuleHoweverItIsWritten) {
  NetPolicy p;
  p.connect_to = {"127.0.0.1", "2001:db8::1"};
  EXPECT_TRUE(p.may_connect("127.0.0.1"));
  EXPECT_TRUE(p.may_connect("::ffff:127.0.0.1"));
  EXPECT_TRUE(p.may_connect("2001:0db8:0:0::1"));
  EXPECT_FALSE(p.may_connect("127.0.0.2"));
  EXPECT_FALSE(p.may_connect("::ffff:127.0.0.2"));
  EXPECT_FALSE(p.may_connect("localhost"));
  EXPECT_FALSE(p.may_connect(""));
}

TEST(IohostNetText, CsQueriesAreCheckedBeforeAnyLookup) {
  auto q = net::parse_cs_query("net!example.org!80\n");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->proto, "tcp");
  EXPECT_EQ(q->host, "example.org");
  EXPECT_FALSE(net::parse_cs_query("tcp!host!http"));  // ports are numbers: no service lookup
  EXPECT_FALSE(net::parse_cs_query("icmp!host!1"));
  EXPECT_FALSE(net::parse_cs_query("tcp!host"));
  EXPECT_TRUE(net::parse_cs_query("tcp!*!8080")->host.empty());
  EXPECT_EQ(net::ctl_words("connect  1.2.3.4!80\n"), (std::vector<std::string>{"connect", "1.2.3.4!80"}));
}

namespace {

struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(10), [&] { return open; });
  }
  void release() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

}  // namespace

TEST(IohostWorkerPool, OneClientCannotTakeEveryThread) {
  Gate gate;
  std::atomic<bool> other_ran{false};
  {
    WorkerPool pool(4);
    EXPECT_EQ(pool.per_owner_limit(), 2u);
    int a = 0, b = 0;
    for (int i = 0; i < 10; ++i)
      pool.run_for(
          &a, [&] { gate.wait(); }, [] {});
    pool.run_for(
        &b, [&] { other_ran = true; }, [] {});
    for (int i = 0; i < 200 && !other_ran; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(other_ran) << "another client's work waited behind one client's blocked work";
    gate.release();
  }
}

TEST(IohostWorkerPool, AThrowingJobFailsOnlyItself) {
  WorkerPool pool(2);
  std::atomic<int> done{0};
  pool.run([] { throw std::runtime_error("a tree failed"); }, [&] { ++done; });
  pool.run([] {}, [&] { ++done; });
  for (int i = 0; i < 200 && done < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    pool.run_finished();
  }
  EXPECT_EQ(done, 2);
}

TEST(IohostReactor, TimersRunOnceAtTheirTimeAndACancelledOneNever) {
  Reactor reactor;
  bool late = false, cancelled = false;
  reactor.after(20'000'000, [&] { late = true; });
  Reactor::WaitId id = reactor.after(5'000'000, [&] { cancelled = true; });
  reactor.cancel(id);
  EXPECT_EQ(reactor.waiting(), 1u);
  auto start = std::chrono::steady_clock::now();
  while (!late && std::chrono::steady_clock::now() - start < std::chrono::seconds(2)) {
    pollfd p{reactor.fd(), POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) reactor.dispatch();
  }
  EXPECT_TRUE(late);
  EXPECT_FALSE(cancelled);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(15));
  EXPECT_EQ(reactor.waiting(), 0u);
}
