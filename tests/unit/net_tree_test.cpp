// iohost's net tree (Plan 9 /net over the host's sockets) through lib9p's client, in process:
// every peer is a socket this test opens on 127.0.0.1, every wait bounded.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include "loopback_server.h"
#include "trees/net/net_tree.h"

using namespace p9;
using p9test::LoopbackServer;

namespace {

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Runs the reactor as iohost's event loop does: when a parked request's socket is ready, its
// dispatch() runs on the session's side (inside the client's wait for a reply).
class Pump {
 public:
  Pump(LoopbackServer& loop, iohost::Reactor& reactor)
      : thread_([this, &loop, &reactor] {
          while (!stop_) {
            pollfd p{reactor.fd(), POLLIN, 0};
            if (::poll(&p, 1, 5) > 0 && !posted_.exchange(true))
              loop.post([this, &reactor] {
                reactor.dispatch();
                posted_ = false;
              });
            else
              std::this_thread::sleep_for(std::chrono::microseconds(200));
          }
        }) {}
  ~Pump() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false}, posted_{false};
  std::thread thread_;
};

struct Net {
  iohost::Reactor reactor;
  Server server;
  LoopbackServer loop;
  ThreadSync sync;
  Client c{loop, sync};
  Pump pump{loop, reactor};
  explicit Net(iohost::NetPolicy policy = {}, uint64_t timeout_ns = 0)
      : server(make(reactor, std::move(policy))), loop(server) {
    MountOptions o;
    o.msize = 64 * 1024;
    o.aname = "net";
    o.timeout_ns = timeout_ns;
    auto m = c.mount(o);
    EXPECT_TRUE(m) << m.error().message;
  }
  static Server make(iohost::Reactor& r, iohost::NetPolicy policy) {
    Server s;
    s.add("net", std::make_shared<iohost::NetTree>(r, std::move(policy)));
    return s;
  }
  std::string read_text(File& f) {
    std::string out(256, '\0');
    auto n = f.pread(std::as_writable_bytes(std::span(out)), 0);
    EXPECT_TRUE(n) << n.error().message;
    out.resize(n ? *n : 0);
    return out;
  }
  std::string cat(const std::string& path) {
    auto f = c.open(path, kRead);
    EXPECT_TRUE(f) << path << ": " << f.error().message;
    return f ? read_text(*f) : "";
  }
  // clone + ctl message: the conversation's ctl file (open) and number.
  std::pair<File, std::string> clone(const std::string& proto) {
    auto ctl = c.open(proto + "/clone", kReadWrite);
    EXPECT_TRUE(ctl) << ctl.error().message;
    std::string n = read_text(*ctl);
    return {std::move(*ctl), n};
  }
};

Result<size_t> ctl(File& f, const std::string& message) { return f.pwrite(bytes(message), 0); }

// A listening TCP socket on 127.0.0.1 with a free port.
int listener(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  EXPECT_EQ(::listen(fd, 8), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// Echoes what one connection sends until it closes.
std::thread echo_once(int listen_fd) {
  return std::thread([listen_fd] {
    pollfd p{listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return;
    int fd = ::accept(listen_fd, nullptr, nullptr);
    char buf[65536];
    for (;;) {
      pollfd q{fd, POLLIN, 0};
      if (::poll(&q, 1, 10000) <= 0) break;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t at = 0; at < n;) {
        ssize_t w = ::write(fd, buf + at, size_t(n - at));
        if (w <= 0) break;
        at += w;
      }
    }
    ::close(fd);
  });
}

std::string addr(uint16_t port) { return "127.0.0.1!" + std::to_string(port); }

int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

}  // namespace

TEST(NetTree, TcpConnectEchoesOneMebibyteAndShowsItsAddresses) {
  Net net;
  uint16_t port = 0;
  int lfd = listener(&port);
  std::thread echo = echo_once(lfd);
  auto [ctlf, n] = net.clone("tcp");
  EXPECT_EQ(n, "0");
  ASSERT_TRUE(ctl(ctlf, "connect " + addr(port)));
  EXPECT_EQ(net.cat("tcp/" + n + "/status"), "Established\n");
  EXPECT_EQ(net.cat("tcp/" + n + "/remote"), addr(port) + "\n");
  EXPECT_EQ(net.cat("tcp/" + n + "/local").rfind("127.0.0.1!", 0), 0u);
  auto data = net.c.open("tcp/" + n + "/data", kReadWrite);
  ASSERT_TRUE(data) << data.error().message;
  std::vector<std::byte> sent(1 << 20), got;
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = std::byte((i * 7 + (i >> 10)) & 0xff);
  const size_t chunk = 32 * 1024;
  std::vector<std::byte> buf(chunk);
  for (size_t at = 0; at < sent.size(); at += chunk) {
    auto w = data->pwrite(std::span(sent).subspan(at, chunk), 0);
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_EQ(*w, chunk);
    while (got.size() < at + chunk) {  // the echo comes back in pieces of any size
      auto r = data->pread(buf, 0);
      ASSERT_TRUE(r) << r.error().message;
      ASSERT_GT(*r, 0u);
      got.insert(got.end(), buf.begin(), buf.begin() + long(*r));
    }
  }
  EXPECT_TRUE(got == sent);
  data->close();
  ctlf.close();  // the last close hangs up: the echo server sees the end
  echo.join();
  ::close(lfd);
}

TEST(NetTree, UdpKeepsDatagramBoundaries) {
  Net net;
  int peer = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(peer, reinterpret_cast<sockaddr*>(&a), len), 0);
  ::getsockname(peer, reinterpret_cast<sockaddr*>(&a), &len);
  auto [ctlf, n] = net.clone("udp");
  ASSERT_TRUE(ctl(ctlf, "connect " + addr(ntohs(a.sin_port))));
  auto data = net.c.open("udp/" + n + "/data", kReadWrite);
  ASSERT_TRUE(data);
  for (size_t size : {1u, 1000u, 5000u})
    ASSERT_TRUE(data->pwrite(std::vector<std::byte>(size, std::byte('u')), 0));
  char buf[8192];
  for (size_t size : {1u, 1000u, 5000u}) {  // three datagrams, not one stream
    sockaddr_in from{};
    socklen_t fl = sizeof from;
    pollfd p{peer, POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 5000), 0);
    EXPECT_EQ(::recvfrom(peer, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl), ssize_t(size));
    ::sendto(peer, buf, size, 0, reinterpret_cast<sockaddr*>(&from), fl);  // and back
  }
  std::vector<std::byte> in(8192);
  for (size_t size : {1u, 1000u, 5000u}) {
    auto r = data->pread(in, 0);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, size);
  }
  ::close(peer);
}

TEST(NetTree, AnnounceListenAcceptAndTalkBothWays) {
  uint16_t port = 0;
  ::close(listener(&port));  // a port that was free a moment ago
  iohost::NetPolicy policy;
  policy.announce_on.emplace_back(port, port);
  Net net(policy);
  auto [ctlf, n] = net.clone("tcp");
  ASSERT_TRUE(ctl(ctlf, "announce " + std::to_string(port)));
  EXPECT_EQ(net.cat("tcp/" + n + "/status"), "Announced\n");
  std::thread caller([port] {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the listen below parks first
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      (void)!::write(fd, "hello from the caller", 21);
      char buf[64];
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) > 0) {
        ssize_t got = ::read(fd, buf, sizeof buf);
        if (got > 0) (void)!::write(fd, buf, size_t(got));  // the answer goes back as proof
      }
    }
    ::close(fd);
  });
  auto call = net.c.open("tcp/" + n + "/listen", kReadWrite);  // parks until the call comes
  ASSERT_TRUE(call) << call.error().message;
  std::string m = net.read_text(*call);
  EXPECT_NE(m, n);  // a new conversation for the call
  EXPECT_EQ(net.cat("tcp/" + m + "/status"), "Established\n");
  auto data = net.c.open("tcp/" + m + "/data", kReadWrite);
  ASSERT_TRUE(data);
  std::vector<std::byte> buf(64);
  auto r = data->pread(buf, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf.data()), *r), "hello from the caller");
  ASSERT_TRUE(data->pwrite(bytes("answer"), 0));
  r = data->pread(buf, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf.data()), *r), "answer");
  caller.join();
}

TEST(NetTree, ThePolicyRefusesWithAClearError) {
  iohost::NetPolicy policy;
  policy.connect_to.push_back("127.0.0.2");
  policy.announce_on.emplace_back(40000, 40010);
  Net net(policy);
  auto [ctlf, n] = net.clone("tcp");
  auto a = ctl(ctlf, "announce 80");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, EACCES);
  auto c = ctl(ctlf, "connect 127.0.0.1!80");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, EACCES);
  EXPECT_NE(net.cat("tcp/" + n + "/err").find("not allowed"), std::string::npos);
  EXPECT_FALSE(ctl(ctlf, "connect localhost!80"));  // names go through cs
  EXPECT_FALSE(ctl(ctlf, "frobnicate"));
  EXPECT_TRUE(iohost::parse_net("n,announce=8080-8090,connect=::1"));
  EXPECT_FALSE(iohost::parse_net("n,announce=90-80"));
  EXPECT_FALSE(iohost::parse_net("n,connect=example.org"));
}

TEST(NetTree, MalformedControlMessagesGetEinvalAndTheConversationStaysUsable) {
  Net net;
  auto [ctlf, n] = net.clone("tcp");
  for (const char* bad : {"\n", "connect", "connect 127.0.0.1", "connect 127.0.0.1!70000",
                          "connect 127.0.0.1!8x", "connect !80", "connect *!80", "announce !", "announce abc",
                          "shutdown", "shutdown sideways", "headers", "hangup now"}) {
    auto r = ctl(ctlf, bad);
    ASSERT_FALSE(r) << "accepted: \"" << bad << "\"";
    EXPECT_EQ(r.error().code, EINVAL) << bad;
  }
  auto keep = ctl(ctlf, "keepalive");  // nothing to keep alive yet
  ASSERT_FALSE(keep);
  EXPECT_EQ(keep.error().code, ENOTCONN);
  uint16_t port = 0;
  int lfd = listener(&port);
  EXPECT_TRUE(ctl(ctlf, "connect " + addr(port)));  // still usable after all of that
  ::close(lfd);
}

TEST(NetTree, AClosedPortIsConnectionRefused) {
  Net net;
  uint16_t port = 0;
  ::close(listener(&port));
  auto [ctlf, n] = net.clone("tcp");
  auto r = ctl(ctlf, "connect " + addr(port));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ECONNREFUSED) << r.error().message;
}

TEST(NetTree, APeerThatResetsOrClosesIsAnErrorOrTheEnd) {
  Net net;
  uint16_t port = 0;
  int lfd = listener(&port);
  for (bool reset : {true, false}) {
    auto [ctlf, n] = net.clone("tcp");
    ASSERT_TRUE(ctl(ctlf, "connect " + addr(port)));
    int peer = ::accept(lfd, nullptr, nullptr);
    auto data = net.c.open("tcp/" + n + "/data", kRead);
    ASSERT_TRUE(data);
    if (reset) {
      linger l{1, 0};
      ::setsockopt(peer, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ::close(peer);
    std::vector<std::byte> buf(16);
    auto r = data->pread(buf, 0);
    if (reset) {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, ECONNRESET) << r.error().message;
    } else {
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(*r, 0u);  // end of the stream
    }
  }
  ::close(lfd);
}

TEST(NetTree, CsTranslatesLocalhost) {
  Net net;
  auto cs = net.c.open("cs", kReadWrite);
  ASSERT_TRUE(cs);
  ASSERT_TRUE(cs->pwrite(bytes("tcp!localhost!8080"), 0));
  std::string answer = net.read_text(*cs);
  EXPECT_TRUE(answer.find("/net/tcp/clone 127.0.0.1!8080\n") != std::string::npos ||
              answer.find("/net/tcp/clone ::1!8080\n") != std::string::npos)
      << answer;
  auto bad = cs->pwrite(bytes("tcp!no-such-host.invalid!80"), 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ENOENT);
}

TEST(NetTree, AFlushCancelsAParkedReadAndTheDataWaitsForTheNextRead) {
  Net net({}, 300'000'000);  // the client flushes a request after 300 ms
  uint16_t port = 0;
  int lfd = listener(&port);
  auto [ctlf, n] = net.clone("tcp");
  ASSERT_TRUE(ctl(ctlf, "connect " + addr(port)));
  int peer = ::accept(lfd, nullptr, nullptr);
  auto data = net.c.open("tcp/" + n + "/data", kReadWrite);
  ASSERT_TRUE(data);
  std::vector<std::byte> buf(16);
  auto r = data->pread(buf, 0);  // nothing comes: Tflush, Rflush at once
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ETIMEDOUT);
  EXPECT_EQ(net.reactor.waiting(), 0u);  // the flushed read waits for nothing any more
  (void)!::write(peer, "late", 4);
  r = data->pread(buf, 0);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf.data()), *r), "late");
  ::close(peer);
  ::close(lfd);
}

TEST(NetTree, FiftyConnectionsInARowLeakNothingAndEachAttachHasItsOwn) {
  Net net;
  uint16_t port = 0;
  int lfd = listener(&port);
  int before = open_fds();
  for (int i = 0; i < 50; ++i) {
    auto [ctlf, n] = net.clone("tcp");
    EXPECT_EQ(n, "0");  // the closed conversation is used again
    ASSERT_TRUE(ctl(ctlf, "connect " + addr(port)));
    int peer = ::accept(lfd, nullptr, nullptr);
    ctlf.close();
    char c;
    pollfd p{peer, POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 5000), 0);
    EXPECT_EQ(::read(peer, &c, 1), 0);  // the last close hung up
    ::close(peer);
  }
  EXPECT_EQ(open_fds(), before);
  auto items = net.c.readdir("tcp");
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), 1u);  // clone alone: no conversation in use
  auto [ctlf, n] = net.clone("tcp");
  LoopbackServer loop2(net.server);  // another attach to the same tree (another guest)
  ThreadSync sync2;
  Client other(loop2, sync2);
  MountOptions o;
  o.aname = "net";
  ASSERT_TRUE(other.mount(o));
  auto theirs = other.readdir("tcp");  // sees none of this attach's conversations
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->size(), 1u);
  ::close(lfd);
}
