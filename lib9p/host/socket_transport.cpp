// Stream sockets: whole messages out under a lock; in, size[4] first, then exactly the rest.
#include "socket_transport.h"
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <chrono>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "p9/client.h"
#include "p9/codec.h"

namespace p9 {
namespace {

Error sys_error(const std::string& what) { return {errno, what + ": " + std::strerror(errno)}; }

Result<int> dial_tcp(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &list); rc != 0)
    return Error{EHOSTUNREACH, "dial " + host + ":" + port + ": " + gai_strerror(rc)};
  int fd = -1;
  Error last{ECONNREFUSED, "dial " + host + ":" + port + ": no address worked"};
  for (addrinfo* a = list; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    last = sys_error("dial " + host + ":" + port);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(list);
  if (fd < 0) return last;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

Result<int> dial_unix(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return Error{ENAMETOOLONG, "dial " + path + ": path too long"};
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error("socket");
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    Error e = sys_error("dial " + path);
    close(fd);
    return e;
  }
  return fd;
}

Result<int> dial_one(const std::string& address) {
  const std::string& a = address;
  if (a.rfind("unix!", 0) == 0) return dial_unix(a.substr(5));
  if (a.rfind("tcp!", 0) == 0) {
    std::string rest = a.substr(4);
    size_t bang = rest.rfind('!');
    if (bang == std::string::npos) return Error{EINVAL, "dial " + address + ": want tcp!host!port"};
    return dial_tcp(rest.substr(0, bang), rest.substr(bang + 1));
  }
  if (!a.empty() && a[0] == '/') return dial_unix(a);
  size_t colon = a.rfind(':');
  if (colon == std::string::npos)
    return Error{EINVAL, "dial " + address + ": want host:port or a socket path"};
  return dial_tcp(a.substr(0, colon), a.substr(colon + 1));
}

uint64_t steady_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

}  // namespace

Result<std::unique_ptr<SocketTransport>> SocketTransport::dial(const std::string& address) {
  std::vector<std::string> addresses = split_on(address, '|');
  for (const std::string& a : addresses)
    if (a.empty()) return Error{EINVAL, "dial " + address + ": an empty alternative"};
  Error last{EINVAL, "dial: no address"};
  for (size_t i = 0; i < addresses.size(); ++i) {
    auto fd = dial_one(addresses[i]);
    if (fd) return std::unique_ptr<SocketTransport>(new SocketTransport(*fd, std::move(addresses), i));
    last = fd.error();
  }
  return last;
}

Result<void> SocketTransport::reconnect(uint64_t deadline_ns) {
  std::lock_guard<std::mutex> lock(send_lock_);
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  Error last{ETIMEDOUT, "reconnect: the deadline passed"};
  size_t first = abandoned_.exchange(false) ? (current_ + 1) % addresses_.size() : current_;
  for (int round = 0; steady_ns() < deadline_ns; ++round) {
    for (size_t k = 0; k < addresses_.size(); ++k) {
      size_t i = (first + k) % addresses_.size();
      auto fd = dial_one(addresses_[i]);
      if (fd) {
        fd_ = *fd;
        current_ = i;
        return {};
      }
      last = fd.error();
    }
    uint64_t now = steady_ns();
    if (now >= deadline_ns) break;
    uint64_t pause = std::min<uint64_t>(deadline_ns - now, 100'000'000ull * uint64_t(std::min(round + 1, 5)));
    ::poll(nullptr, 0, int(pause / 1000000));  // 100 ms, 200 ms... up to 500 ms between rounds
  }
  return Error{last.code ? last.code : ETIMEDOUT, "reconnect: " + last.message};
}

SocketTransport::~SocketTransport() { close(fd_); }

void SocketTransport::abandon() {
  abandoned_ = true;
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

Result<void> SocketTransport::send(std::span<const std::byte> message, uint16_t) {
  std::lock_guard<std::mutex> lock(send_lock_);
  size_t done = 0;
  while (done < message.size()) {
    ssize_t n = ::send(fd_, message.data() + done, message.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("send");
    done += size_t(n);
  }
  return {};
}

Result<std::vector<std::byte>> SocketTransport::receive(uint64_t deadline_ns) {
  if (deadline_ns != 0) {  // wait for the first byte only: a message once begun is read whole
    for (;;) {
      uint64_t now = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count());
      if (now >= deadline_ns) return Error{ETIMEDOUT, "receive: nothing before the deadline"};
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, int((deadline_ns - now + 999999) / 1000000));
      if (rc > 0) break;
      if (rc < 0 && errno != EINTR) return sys_error("poll");
    }
  }
  auto read_exactly = [&](std::byte* p, size_t n) -> Result<void> {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::recv(fd_, p + done, n - done, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return Error{ECONNRESET, "receive: the server closed the connection"};
      if (r < 0) return sys_error("receive");
      done += size_t(r);
    }
    return {};
  };
  std::byte size_field[4];
  TRY_VOID(read_exactly(size_field, 4));
  uint32_t size = read_le32(size_field);
  if (size < kHeaderSize || size > max_message_size())
    return Error{EBADMSG, "receive: message size " + std::to_string(size) + " is impossible"};
  std::vector<std::byte> message;
  message.reserve(size);
  message.insert(message.end(), size_field, size_field + 4);
  // Grow without zero-filling what recv() overwrites anyway.
  message.resize(size, std::byte{});
  TRY_VOID(read_exactly(message.data() + 4, size - 4));
  return message;
}

}  // namespace p9
