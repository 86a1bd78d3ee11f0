// Network failover against real servers: two diods exporting the same folder, the first killed
// in the middle of a file's writes. P9_FAILOVER_MODE says who must cope:
//   client  lib9p's own client, dialled to "A|B" with recovery on: it re-dials B, re-walks and
//           reopens its file, and the writes go on through the same File;
//   import  iohost's import tree dialled to "A|B" (the test talks to iohost, which must fail
//           over behind it: this client sees no break at all).
// MODE-stop (client-stop, import-stop): diod A is stopped (SIGSTOP) instead: alive, connected,
// answering nothing; liveness (hang_after 1 s) must give it up and go on through B.
// Started by tests/interop/run.sh with P9_FAILOVER_ADDRESS, P9_FAILOVER_KILL (diod A's pid),
// P9_TEST_EXPORT and P9_TEST_ANAME; skipped otherwise.
#include <gtest/gtest.h>
#include <signal.h>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>
#include "p9/client.h"
#include "socket_transport.h"
#include "thread_sync.h"

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::vector<std::byte> pattern(size_t n, unsigned seed) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::byte((i * 131 + seed + (i >> 12)) & 0xff);
  return v;
}

// The signal has taken effect: the process is stopped (state T), or dead (a zombie of the
// script that started it, or gone). Polled from /proc for at most 5 s.
bool wait_until_signalled(pid_t pid, bool stopped) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    char state = 'X';
    if (std::getline(stat, line)) {
      auto end_of_name = line.rfind(')');  // the name may hold spaces and parentheses
      if (end_of_name != std::string::npos && end_of_name + 2 < line.size()) state = line[end_of_name + 2];
    }
    if (stopped ? state == 'T' : (state == 'Z' || state == 'X')) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

TEST(Failover, WritesGoOnWhenTheFirstServerDies) {
  std::string mode = env("P9_FAILOVER_MODE");
  if (mode.empty()) GTEST_SKIP() << "run through tests/interop/run.sh (needs two diods)";
  auto t = p9::SocketTransport::dial(env("P9_FAILOVER_ADDRESS"));
  ASSERT_TRUE(t) << t.error().message;
  p9::ThreadSync sync;
  p9::Client client(**t, sync);
  p9::MountOptions o;
  o.aname = env("P9_TEST_ANAME");
  o.msize = 65536;
  bool own_client = mode.rfind("client", 0) == 0,
       stop = mode.size() > 5 && mode.substr(mode.size() - 5) == "-stop";
  if (own_client) o.recover_within_ns = 10'000'000'000ull;
  if (own_client && stop) o.hang_after_ns = 1'000'000'000ull;
  ASSERT_TRUE(client.mount(o));
  std::string first_address = (*t)->address();

  constexpr size_t kHalf = 4u << 20;
  auto before = pattern(kHalf, 1), after = pattern(kHalf, 2);
  auto f = client.open("failover-" + mode + ".bin", p9::kReadWrite | p9::kCreate | p9::kTruncate);
  ASSERT_TRUE(f) << f.error().message;
  auto n = f->pwrite(before, 0);
  ASSERT_TRUE(n && *n == kHalf);
  pid_t server_a = pid_t(std::atoi(env("P9_FAILOVER_KILL").c_str()));
  ASSERT_EQ(::kill(server_a, stop ? SIGSTOP : SIGKILL), 0);
  ASSERT_TRUE(wait_until_signalled(server_a, stop)) << "diod A did not stop or die within 5 s";

  auto started = std::chrono::steady_clock::now();
  auto m = f->pwrite(after, kHalf);  // diod A is gone: this goes to B
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  std::printf("# failover %s: the 4 MiB write after the %s took %lld ms\n", mode.c_str(),
              stop ? "SIGSTOP" : "SIGKILL", (long long)took.count());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(*m, kHalf);
  std::vector<std::byte> back(2 * kHalf);
  auto r = f->pread(back, 0);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(*r, 2 * kHalf);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), back.begin()));
  EXPECT_TRUE(std::equal(after.begin(), after.end(), back.begin() + kHalf));
  ASSERT_TRUE(f->fsync());
  std::ifstream on_disk(env("P9_TEST_EXPORT") + "/failover-" + mode + ".bin", std::ios::binary);
  std::string disk{std::istreambuf_iterator<char>(on_disk), {}};
  ASSERT_EQ(disk.size(), 2 * kHalf);
  EXPECT_EQ(std::memcmp(disk.data(), back.data(), disk.size()), 0);
  if (own_client) {
    EXPECT_EQ(client.recoveries(), 1u);
    EXPECT_NE((*t)->address(), first_address) << "still on the first server";
  } else {
    EXPECT_EQ(client.recoveries(), 0u);  // iohost hid the failover from us
  }
  auto fresh = client.open("failover-" + mode + ".bin", p9::kRead);  // new walks work too
  EXPECT_TRUE(fresh) << fresh.error().message;
}
