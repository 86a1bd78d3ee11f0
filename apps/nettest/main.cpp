// The in-guest network suite: plain BSD sockets, which the kernel turns into files of the I/O
// host's /net (iohost --net, the guest's device tagged "net"). Every peer is this guest itself,
// reached through dom0's loopback (the policy lets it announce on ports 20000-20099); nothing
// else is contacted. Ends with "N passed, N failed"; "# bench" carries the throughput.
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/select.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>
#include <xenos/net.h>
#include <xenos/thread.h>
#include <xenos/time.h>
#include "suite.h"

namespace {

constexpr uint16_t kEchoPort = 20010, kClosedPort = 20011, kUdpPort = 20012, kSinkPort = 20013;
constexpr uint16_t kDom0EchoPort = 20099;  // busybox nc -ll -e cat in dom0 (tests/xen/dom0-init)

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int listener(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(fd, 16) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int dial(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(port);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

bool send_all(int fd, const void* p, size_t n) {
  auto* b = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = send(fd, b, n, 0);
    if (w <= 0) return false;
    b += w;
    n -= size_t(w);
  }
  return true;
}

// The echo server: a thread serving `count` connections one after another on the listener.
struct Echo {
  int listen_fd = -1;
  int count = 1;
  int served = 0;
};

void echo_server(void* arg) {
  auto* e = static_cast<Echo*>(arg);
  for (int i = 0; i < e->count; ++i) {
    int c = accept(e->listen_fd, nullptr, nullptr);
    if (c < 0) return;
    char buf[8192];
    for (;;) {
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0 || !send_all(c, buf, size_t(n))) break;
    }
    close(c);
    ++e->served;
  }
}

uint64_t fnv(uint64_t h, const void* p, size_t n) {
  auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

// ---- tests ------------------------------------------------------------------------------------

void sockets_are_descriptors_and_bad_families_are_refused() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 3);
  CHECK(close(fd) == 0);
  CHECK(socket(AF_UNIX, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT);
  CHECK(socket(AF_INET, SOCK_RAW, 0) == -1 && errno == EPROTONOSUPPORT);
  char buf[4];
  int u = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(recv(u, buf, sizeof buf, 0) == -1 && errno == ENOTCONN);
  CHECK(lseek(u, 0, SEEK_SET) == -1 && errno == ESPIPE);
  close(u);
  CHECK(send(0, "x", 1, 0) == -1 && errno == ENOTSOCK);
}

void converts_addresses_both_ways() {
  in_addr a4;
  in6_addr a6;
  char text[INET6_ADDRSTRLEN];
  CHECK(inet_pton(AF_INET, "192.0.2.33", &a4) == 1);
  CHECK(std::strcmp(inet_ntop(AF_INET, &a4, text, sizeof text), "192.0.2.33") == 0);
  CHECK(inet_pton(AF_INET, "256.1.1.1", &a4) == 0);
  CHECK(inet_pton(AF_INET6, "::1", &a6) == 1);
  CHECK(std::strcmp(inet_ntop(AF_INET6, &a6, text, sizeof text), "::1") == 0);
  CHECK(inet_pton(AF_INET6, "fe80::1:2", &a6) == 1);
  CHECK(std::strcmp(inet_ntop(AF_INET6, &a6, text, sizeof text), "fe80::1:2") == 0);
  CHECK(inet_pton(AF_INET6, "::ffff:10.0.0.1", &a6) == 1);
  CHECK(std::strcmp(inet_ntop(AF_INET6, &a6, text, sizeof text), "::ffff:10.0.0.1") == 0);
  CHECK(inet_pton(AF_INET6, "1::2::3", &a6) == 0);
  CHECK(ntohs(htons(0x1234)) == 0x1234);
}

void getaddrinfo_asks_cs_for_names() {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  CHECK(getaddrinfo("localhost", "20010", &hints, &res) == 0);  // through dom0's /net/cs
  CHECK(res != nullptr);
  bool loop = false;
  for (addrinfo* r = res; r; r = r->ai_next) {
    if (r->ai_family == AF_INET)
      loop |= reinterpret_cast<sockaddr_in*>(r->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    if (r->ai_family == AF_INET6)
      loop |= reinterpret_cast<sockaddr_in6*>(r->ai_addr)->sin6_addr.s6_addr[15] == 1;
    CHECK(ntohs(reinterpret_cast<sockaddr_in*>(r->ai_addr)->sin_port) == 20010);
  }
  CHECK(loop);
  freeaddrinfo(res);
  CHECK(getaddrinfo("127.0.0.1", "80", &hints, &res) == 0 && res->ai_family == AF_INET);  // numeric: no cs
  freeaddrinfo(res);
  int e = getaddrinfo("no-such-host.invalid", "80", &hints, &res);
  CHECK(e == EAI_NONAME);
  CHECK(std::strlen(gai_strerror(e)) > 0);
}

void connecting_to_a_closed_port_is_refused() {
  CHECK(dial(kClosedPort) == -1);
  CHECK(errno == ECONNREFUSED);
}

void tcp_echo_with_a_guest_listener_and_its_names() {
  Echo e;
  e.listen_fd = listener(kEchoPort);
  CHECK(e.listen_fd >= 0);
  sockaddr_in me{};
  socklen_t len = sizeof me;
  CHECK(getsockname(e.listen_fd, reinterpret_cast<sockaddr*>(&me), &len) == 0);
  CHECK(ntohs(me.sin_port) == kEchoPort);
  auto t = xenos::spawn("echo", echo_server, &e, 64 * 1024);
  CHECK_OK(t);
  int fd = dial(kEchoPort);
  CHECK(fd >= 0);
  int one = 1;
  CHECK(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
  int size = 1 << 20;
  CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == -1 && errno == ENOPROTOOPT);
  sockaddr_in peer{};
  len = sizeof peer;
  CHECK(getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0);
  CHECK(peer.sin_family == AF_INET && ntohs(peer.sin_port) == kEchoPort);
  CHECK(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  CHECK(send_all(fd, "hello, echo", 11));
  char buf[32] = {};
  size_t got = 0;
  while (got < 11) {  // the echo may come back in pieces
    ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
    CHECK(n > 0);
    got += size_t(n);
  }
  CHECK(got == 11 && std::memcmp(buf, "hello, echo", 11) == 0);
  CHECK(close(fd) == 0);
  t->join();
  CHECK(e.served == 1);
  close(e.listen_fd);
}

void tcp_echo_with_a_dom0_peer() {
  int fd = dial(kDom0EchoPort);
  CHECK(fd >= 0);
  const char text[] = "echoed by a program in dom0";
  CHECK(send_all(fd, text, sizeof text - 1));
  char buf[64] = {};
  size_t got = 0;
  while (got < sizeof text - 1) {
    ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
    CHECK(n > 0);
    got += size_t(n);
  }
  CHECK(std::memcmp(buf, text, sizeof text - 1) == 0);
  CHECK(close(fd) == 0);
}

void sixteen_mebibytes_arrive_whole() {
  Echo e;  // here only a sink: it hashes what it reads
  e.listen_fd = listener(kSinkPort);
  CHECK(e.listen_fd >= 0);
  struct Sink {
    int listen_fd;
    uint64_t hash = 14695981039346656037ull;
    size_t bytes = 0;
  } sink{e.listen_fd};
  auto t = xenos::spawn(
      "sink",
      [](void* arg) {
        auto* s = static_cast<Sink*>(arg);
        int c = accept(s->listen_fd, nullptr, nullptr);
        std::vector<char> buf(64 * 1024);
        for (ssize_t n; (n = recv(c, buf.data(), buf.size(), 0)) > 0;) {
          s->hash = fnv(s->hash, buf.data(), size_t(n));
          s->bytes += size_t(n);
        }
        close(c);
      },
      &sink, 64 * 1024);
  CHECK_OK(t);
  int fd = dial(kSinkPort);
  CHECK(fd >= 0);
  const size_t kTotal = 16u << 20, kChunk = 1u << 20;
  std::vector<uint8_t> chunk(kChunk);
  uint64_t hash = 14695981039346656037ull;
  uint64_t t0 = xenos::monotonic_ns();
  for (size_t at = 0; at < kTotal; at += kChunk) {
    for (size_t i = 0; i < kChunk; ++i) chunk[i] = uint8_t((at + i) * 2654435761u >> 13);
    CHECK(send_all(fd, chunk.data(), kChunk));
    hash = fnv(hash, chunk.data(), kChunk);
  }
  CHECK(shutdown(fd, SHUT_WR) == 0);
  t->join();
  uint64_t t1 = xenos::monotonic_ns();
  close(fd);
  close(e.listen_fd);
  CHECK(sink.bytes == kTotal);
  CHECK(sink.hash == hash);
  std::printf("# bench {\"tcp_guest_to_guest_16MiB_mib_s\": %.1f}\n",
              double(kTotal) / (1 << 20) / (double(t1 - t0) / 1e9));
}

void fifty_connections_in_a_row_leak_no_descriptor() {
  Echo e;
  e.listen_fd = listener(kEchoPort);
  CHECK(e.listen_fd >= 0);
  e.count = 50;
  auto t = xenos::spawn("echo50", echo_server, &e, 64 * 1024);
  CHECK_OK(t);
  int first = -1;
  for (int i = 0; i < 50; ++i) {
    int fd = dial(kEchoPort);
    CHECK(fd >= 0);
    if (first < 0) first = fd;
    CHECK(fd == first);  // the same lowest descriptor every time: none leaked
    char c = char('a' + i % 26), back = 0;
    CHECK(send_all(fd, &c, 1));
    CHECK(recv(fd, &back, 1, 0) == 1 && back == c);
    CHECK(close(fd) == 0);
  }
  t->join();
  CHECK(e.served == 50);
  int probe = socket(AF_INET, SOCK_STREAM, 0);  // still the same lowest free descriptor
  CHECK(probe == first);
  close(probe);
  close(e.listen_fd);
}

void udp_keeps_datagrams_and_tells_who_sent_them() {
  int server = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(server >= 0);
  sockaddr_in a = loopback(kUdpPort);
  CHECK(bind(server, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  int client = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(client >= 0);
  CHECK(connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const size_t sizes[] = {1, 1000, 5000};
  std::vector<char> buf(8192, 'u');
  for (size_t s : sizes) CHECK(send(client, buf.data(), s, 0) == ssize_t(s));
  sockaddr_in from{};
  for (size_t s : sizes) {
    socklen_t len = sizeof from;
    CHECK(recvfrom(server, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len) ==
          ssize_t(s));
  }
  CHECK(from.sin_family == AF_INET && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  CHECK(sendto(server, "pong", 4, 0, reinterpret_cast<sockaddr*>(&from), sizeof from) ==
        4);  // back to the sender
  char in[16] = {};
  CHECK(recv(client, in, sizeof in, 0) == 4 && std::memcmp(in, "pong", 4) == 0);
  close(client);
  close(server);
}

void shutdown_for_writing_ends_the_peers_stream_only() {
  int l = listener(kEchoPort);
  CHECK(l >= 0);
  int c = dial(kEchoPort);
  CHECK(c >= 0);
  sockaddr_in who{};
  socklen_t len = sizeof who;
  int s = accept(l, reinterpret_cast<sockaddr*>(&who), &len);
  CHECK(s >= 0);
  CHECK(who.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  CHECK(send_all(c, "last words", 10));
  CHECK(shutdown(c, SHUT_WR) == 0);
  char buf[32] = {};
  CHECK(recv(s, buf, sizeof buf, MSG_WAITALL) == 10);  // then the end of the stream
  CHECK(recv(s, buf, sizeof buf, 0) == 0);
  CHECK(send_all(s, "reply", 5));  // the other direction still works
  CHECK(recv(c, buf, sizeof buf, 0) == 5);
  close(s);
  close(c);
  close(l);
}

void announcing_outside_the_policy_is_refused() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(80);
  CHECK(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);  // Plan 9 announces at listen
  CHECK(listen(fd, 1) == -1 && errno == EACCES);
  close(fd);
}

void read_and_write_work_on_sockets_too() {
  Echo e;
  e.listen_fd = listener(kEchoPort);
  CHECK(e.listen_fd >= 0);
  auto t = xenos::spawn("echo-rw", echo_server, &e, 64 * 1024);
  CHECK_OK(t);
  int fd = dial(kEchoPort);
  CHECK(fd >= 0);
  CHECK(write(fd, "plain", 5) == 5);
  char buf[8] = {};
  CHECK(read(fd, buf, 5) == 5 && std::memcmp(buf, "plain", 5) == 0);
  close(fd);
  t->join();
  close(e.listen_fd);
}

// A connected pair through dom0's loopback: *client dialled, *server accepted.
bool pair(int* client, int* server, int* listen_fd) {
  *listen_fd = listener(kEchoPort);
  if (*listen_fd < 0) return false;
  *client = dial(kEchoPort);
  *server = *client < 0 ? -1 : accept(*listen_fd, nullptr, nullptr);
  return *client >= 0 && *server >= 0;
}

void poll_waits_for_data_with_a_timeout() {
  int c, sv, l;
  CHECK(pair(&c, &sv, &l));
  pollfd p{c, POLLIN | POLLOUT, 0};
  CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT);  // writable at once, nothing to read
  p.events = POLLIN;
  uint64_t t0 = xenos::monotonic_ns();
  CHECK(poll(&p, 1, 200) == 0);  // nothing comes: the timeout
  uint64_t waited = (xenos::monotonic_ns() - t0) / 1000000;
  CHECK(waited >= 190 && waited < 2000);
  CHECK(send_all(sv, "ping", 4));
  CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLIN));
  char buf[8] = {};
  CHECK(recv(c, buf, sizeof buf, 0) == 4 && std::memcmp(buf, "ping", 4) == 0);  // the read ahead's data
  // select() on both ends: only the one with data is readable.
  CHECK(send_all(c, "pong", 4));
  fd_set r;
  FD_ZERO(&r);
  FD_SET(c, &r);
  FD_SET(sv, &r);
  timeval tv{5, 0};
  CHECK(select((c > sv ? c : sv) + 1, &r, nullptr, nullptr, &tv) == 1);
  CHECK(FD_ISSET(sv, &r) && !FD_ISSET(c, &r));
  CHECK(recv(sv, buf, sizeof buf, 0) == 4);
  close(c);
  close(sv);
  close(l);
}

void poll_on_a_listener_sees_the_call_and_a_polled_socket_closes_cleanly() {
  int l = listener(kEchoPort);
  CHECK(l >= 0);
  pollfd p{l, POLLIN, 0};
  CHECK(poll(&p, 1, 100) == 0);  // no call yet
  auto t = xenos::spawn(
      "caller",
      [](void*) {
        xenos::sleep_ms(100);
        int fd = dial(kEchoPort);
        send_all(fd, "x", 1);
        close(fd);
      },
      nullptr, 64 * 1024);
  CHECK_OK(t);
  CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLIN));
  int s = accept(l, nullptr, nullptr);  // the call poll() saw
  CHECK(s >= 0);
  char c = 0;
  CHECK(recv(s, &c, 1, 0) == 1 && c == 'x');
  t->join();
  close(s);
  // A socket closed while poll's read ahead waits in the I/O host: hung up, nothing left over.
  int a, b, l2 = -1;
  close(l);
  CHECK(pair(&a, &b, &l2));
  pollfd q{a, POLLIN, 0};
  CHECK(poll(&q, 1, 50) == 0);  // a read ahead is now parked
  CHECK(close(a) == 0);
  CHECK(recv(b, &c, 1, 0) == 0);  // the peer sees the hangup
  close(b);
  close(l2);
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(probe == l2);  // the lowest of the three (the listener's) is free again: nothing held
  close(probe);
}

void close_while_another_thread_reads() {
  int c, sv, l;
  CHECK(pair(&c, &sv, &l));
  struct Reader {
    int fd;
    ssize_t n = -2;
    char buf[8] = {};
  } r{c};
  auto t = xenos::spawn(
      "reader",
      [](void* arg) {
        auto* rd = static_cast<Reader*>(arg);
        rd->n = recv(rd->fd, rd->buf, sizeof rd->buf, 0);
      },
      &r, 64 * 1024);
  CHECK_OK(t);
  xenos::sleep_ms(50);   // the reader now waits in recv
  CHECK(close(c) == 0);  // another thread closes the descriptor: the reader's socket stays valid
  CHECK(send_all(sv, "late", 4));
  t->join();
  CHECK(r.n == 4 && std::memcmp(r.buf, "late", 4) == 0);
  char x;
  CHECK(recv(sv, &x, 1, 0) == 0);  // once the read returned, the last use hung up
  close(sv);
  close(l);
}

void plan9_dial_announce_listen_accept() {
  char adir[NET_DIRLEN], ldir[NET_DIRLEN], ddir[NET_DIRLEN];
  int actl = xenos_announce("tcp!*!20014", adir);
  CHECK(actl >= 0);
  CHECK(std::strncmp(adir, "/net/tcp/", 9) == 0);
  struct Answer {
    char dir[NET_DIRLEN];
    int ok = 0;
  } answer;
  std::strcpy(answer.dir, adir);
  auto t = xenos::spawn(
      "answer",
      [](void* arg) {
        auto* a = static_cast<Answer*>(arg);
        char ldir2[NET_DIRLEN];
        int lcfd = xenos_listen(a->dir, ldir2);
        int dfd = lcfd < 0 ? -1 : xenos_accept(lcfd, ldir2);
        char buf[16] = {};
        if (dfd >= 0 && read(dfd, buf, sizeof buf) == 5 && std::memcmp(buf, "hello", 5) == 0 &&
            write(dfd, "olleh", 5) == 5)
          a->ok = 1;
        if (dfd >= 0) close(dfd);
        if (lcfd >= 0) close(lcfd);
      },
      &answer, 64 * 1024);
  CHECK_OK(t);
  int fd = xenos_dial("tcp!localhost!20014", ddir);  // a name: through /net/cs
  CHECK(fd >= 0);
  CHECK(write(fd, "hello", 5) == 5);
  char buf[16] = {};
  CHECK(read(fd, buf, sizeof buf) == 5 && std::memcmp(buf, "olleh", 5) == 0);
  t->join();
  CHECK(answer.ok == 1);
  close(fd);
  close(actl);
  CHECK(xenos_dial("tcp!localhost!20011", nullptr) == -1 && errno == ECONNREFUSED);
  (void)ldir;
}

// `nettest bench PORT` (make bench): 64 MiB in 1 MiB writes to a sink in dom0 on PORT, then
// the rate of connection setups (connect, accept, close both) through dom0's loopback.
int bench(uint16_t sink_port) {
  int fd = dial(sink_port);
  if (fd < 0) {
    std::printf("nettest bench: cannot reach the sink on port %u: %s\n", sink_port, std::strerror(errno));
    return 1;
  }
  const size_t kTotal = 64u << 20, kChunk = 1u << 20;
  std::vector<char> chunk(kChunk, 'n');
  uint64_t t0 = xenos::monotonic_ns();
  for (size_t at = 0; at < kTotal; at += kChunk)
    if (!send_all(fd, chunk.data(), kChunk)) return 1;
  close(fd);
  uint64_t t1 = xenos::monotonic_ns();
  Echo e;
  e.listen_fd = listener(kEchoPort);
  e.count = 100;
  auto t = xenos::spawn(
      "accepts",
      [](void* arg) {
        auto* echo = static_cast<Echo*>(arg);
        for (int i = 0; i < echo->count; ++i) {
          int c = accept(echo->listen_fd, nullptr, nullptr);
          if (c < 0) return;
          close(c);
          ++echo->served;
        }
      },
      &e, 64 * 1024);
  if (!t) return 1;
  uint64_t t2 = xenos::monotonic_ns();
  for (int i = 0; i < e.count; ++i) {
    int c = dial(kEchoPort);
    if (c < 0) return 1;
    close(c);
  }
  t->join();
  uint64_t t3 = xenos::monotonic_ns();
  close(e.listen_fd);
  std::printf(
      "# bench {\"tcp_guest_to_dom0_64MiB_1MiB_writes_mib_s\": %.1f, \"tcp_connections_per_s\": %.1f}\n",
      double(kTotal) / (1 << 20) / (double(t1 - t0) / 1e9), e.served / (double(t3 - t2) / 1e9));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "bench") == 0) return bench(uint16_t(std::atoi(argv[2])));
  std::printf("# nettest: BSD sockets over iohost's /net\n");
  suite::run("sockets are descriptors; bad families and types are refused",
             sockets_are_descriptors_and_bad_families_are_refused);
  suite::run("inet_pton and inet_ntop, IPv4 and IPv6", converts_addresses_both_ways);
  suite::run("getaddrinfo: names through /net/cs, numbers in the guest", getaddrinfo_asks_cs_for_names);
  suite::run("connect to a closed port: ECONNREFUSED", connecting_to_a_closed_port_is_refused);
  suite::run("tcp echo: a guest listener, accept, getsockname/getpeername, options",
             tcp_echo_with_a_guest_listener_and_its_names);
  suite::run("tcp echo with a dom0 peer (busybox nc -e cat on dom0's loopback)", tcp_echo_with_a_dom0_peer);
  suite::run("16 MiB through a tcp connection, checked by hash", sixteen_mebibytes_arrive_whole);
  suite::run("50 connections in a row, no descriptor leaked", fifty_connections_in_a_row_leak_no_descriptor);
  suite::run("udp: datagram boundaries kept, recvfrom/sendto name the peer",
             udp_keeps_datagrams_and_tells_who_sent_them);
  suite::run("shutdown(SHUT_WR): the peer reads the end, the other way still works",
             shutdown_for_writing_ends_the_peers_stream_only);
  suite::run("listen on a port outside the policy: EACCES", announcing_outside_the_policy_is_refused);
  suite::run("read and write on a socket descriptor", read_and_write_work_on_sockets_too);
  suite::run("poll: a timeout, then data; select on two sockets", poll_waits_for_data_with_a_timeout);
  suite::run("poll on a listener sees a call; a socket closed while polled hangs up",
             poll_on_a_listener_sees_the_call_and_a_polled_socket_closes_cleanly);
  suite::run("Plan 9's dial, announce, listen and accept on /net files", plan9_dial_announce_listen_accept);
  suite::run("close() by one thread while another waits in recv on the same socket",
             close_while_another_thread_reads);
  return suite::finish();
}
