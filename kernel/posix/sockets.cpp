// BSD sockets on the I/O host's /net (Plan 9's ip(3), served by iohost --net): the guest has no
// network stack. socket() opens /net/tcp/clone (or udp) and keeps the conversation's ctl file;
// connect writes "connect ADDR!PORT" to it; listen announces; accept opens N/listen, which
// waits in iohost (parked, no thread held) for a call; the data goes through N/data, a message
// at a time and in order (a stream must not be split into parallel 9P requests).
// Names go through /net/cs (see netdb.cpp). Unsupported options fail with ENOPROTOOPT.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/select.h>
#include <cerrno>
#include <initializer_list>  // before <memory>: the freestanding headers do not bring it
#include <memory>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include "ns/boot_namespace.h"
#include "posix/fail.h"
#include "posix/files.h"
#include "xenos/thread.h"
#include "xenos/time.h"

namespace posix {

// poll() on a socket: a 9P read cannot ask "is there data?", so poll reads ahead. A thread
// issues the read the app would (a data read, or a listen's open), which waits parked in the
// I/O host; what it brings back waits here for the app's next recv() or accept(). The state is
// shared with that thread, which may outlive the socket (it then drops what it got).
struct ReadAhead {
  bool running = false, ready = false;
  std::vector<std::byte> data;
  size_t at = 0;
  int error = 0;                    // the read failed: recv reports it
  xenos::Owned<ns::OpenFile> call;  // a listening socket: the next call's ctl
  std::string call_number;
  bool closed = false;  // the socket is gone
};
xenos::WaitQueue* poll_waiters;  // woken whenever a read-ahead comes back

class Socket final : public ns::OpenFile {
 public:
  Socket(int type, int family, std::string dir, xenos::Owned<ns::OpenFile> ctl)
      : type_(type), family_(family), dir_(std::move(dir)), ctl_(std::move(ctl)) {}

  int type() const { return type_; }
  int family() const { return family_; }
  const std::string& dir() const { return dir_; }
  bool udp() const { return type_ == SOCK_DGRAM; }
  bool has_data() const { return bool(data_); }
  bool headers() const { return headers_; }
  // bind() before listen(): TCP announces there, so the address waits here until then.
  const std::string& bound() const { return bound_; }
  void set_bound(std::string where) { bound_ = std::move(where); }

  ns::Result<void> control(const std::string& message) {
    TRY(ctl_->write({reinterpret_cast<const std::byte*>(message.data()), message.size()}, 0));
    if (message == "headers") headers_ = true;
    return {};
  }
  ns::Result<void> open_data() {
    if (data_) return {};
    auto data = TRY(ns::root().open(dir_ + "/data", ns::kReadWrite, 0));
    data_.reset(data.release());
    return {};
  }
  // A text file of the conversation: local, remote, status, err.
  ns::Result<std::string> text(const char* name) {
    auto f = TRY(ns::root().open(dir_ + "/" + name, ns::kRead, 0));
    char buf[128];
    size_t n = TRY(f->read({reinterpret_cast<std::byte*>(buf), sizeof buf - 1}, 0));
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) --n;
    return std::string(buf, n);
  }

  ~Socket() override {
    if (!ahead_) return;
    ahead_->closed = true;
    // A read ahead still parked in the I/O host holds the conversation open: hang it up, so
    // that the read fails, its thread ends and the conversation is freed.
    if (ahead_->running) (void)control("hangup");
  }

  // ns::OpenFile: what read(), write() and close() on the descriptor do.
  ns::Result<size_t> read(std::span<std::byte> out, uint64_t) override {
    if (!data_) return ns::Error{ENOTCONN, "socket: not connected"};
    if (shut_read_) return size_t(0);
    if (ahead_ && (ahead_->running || ahead_->ready)) {  // poll() read ahead: that read comes first
      while (!ahead_->ready) poll_waiters->wait();
      if (ahead_->error) {
        int e = ahead_->error;
        ahead_->ready = false;
        ahead_->error = 0;
        return ns::Error{e, "socket: read"};
      }
      size_t n = std::min(out.size(), ahead_->data.size() - ahead_->at);
      std::memcpy(out.data(), ahead_->data.data() + ahead_->at, n);
      ahead_->at += n;
      if (ahead_->at == ahead_->data.size()) ahead_->ready = false;
      return n;
    }
    size_t limit = data_->max_io();
    return data_->read(limit && out.size() > limit ? out.first(limit) : out, 0);
  }
  ns::Result<size_t> write(std::span<const std::byte> in, uint64_t) override {
    if (!data_) return ns::Error{ENOTCONN, "socket: not connected"};
    if (shut_write_) return ns::Error{EPIPE, "socket: shut down for writing"};
    if (udp()) {  // one write, one datagram: never split into two
      if (data_->max_io() && in.size() > data_->max_io())
        return ns::Error{EMSGSIZE, "socket: a datagram larger than one 9P message"};
      return data_->write(in, 0);
    }
    size_t limit = data_->max_io() ? data_->max_io() : in.size(), done = 0;
    while (done < in.size()) {  // one message after the other: the stream keeps its order
      size_t n = TRY(data_->write(in.subspan(done, std::min(limit, in.size() - done)), 0));
      if (n == 0) break;
      done += n;
    }
    return done;
  }
  ns::Result<ns::Attr> stat() override {
    ns::Attr a;
    a.mode = 0140000 | 0666;  // S_IFSOCK
    return a;
  }
  // For accept(): a call that poll() took already, if there is one.
  bool take_call(xenos::Owned<ns::OpenFile>* ctl, std::string* number, int* error) {
    if (!ahead_ || !(ahead_->running || ahead_->ready)) return false;
    while (!ahead_->ready) poll_waiters->wait();
    ahead_->ready = false;
    *error = ahead_->error;
    ahead_->error = 0;
    *ctl = std::move(ahead_->call);
    *number = std::move(ahead_->call_number);
    return true;
  }

  // poll(): what is ready now; starts a read ahead for POLLIN if nothing is.
  short ready(short events) {
    short r = 0;
    bool listening = listening_;
    if ((events & POLLOUT) && data_ && !shut_write_) r |= POLLOUT;
    if (events & POLLIN) {
      if (shut_read_) return short(r | POLLIN);
      if (!data_ && !listening) return short(r | POLLHUP);
      if (ahead_ && ahead_->ready) return short(r | (ahead_->error ? POLLIN | POLLERR : POLLIN));
      start_read_ahead();
    }
    return r;
  }
  void set_listening() { listening_ = true; }

  void shut(int how) {
    if (how == SHUT_RD || how == SHUT_RDWR) shut_read_ = true;
    if (how == SHUT_WR || how == SHUT_RDWR) shut_write_ = true;
  }

 private:
  int type_, family_;
  std::string dir_;  // /net/tcp/N
  xenos::Owned<ns::OpenFile> ctl_;
  std::shared_ptr<ns::OpenFile> data_;  // shared with a read ahead that may outlive the socket
  void start_read_ahead() {
    // Not make_shared: without RTTI its control block needs libstdc++'s _S_eq, and C apps
    // link no libstdc++.
    if (!ahead_) ahead_ = std::shared_ptr<ReadAhead>(new ReadAhead());
    if (ahead_->running || ahead_->ready) return;
    if (!poll_waiters) poll_waiters = new xenos::WaitQueue;
    struct Job {
      std::shared_ptr<ReadAhead> ahead;
      std::shared_ptr<ns::OpenFile> data;
      std::string listen;  // a listening socket: the listen file to open
      size_t size;
    };
    auto* job = new Job{ahead_, data_, listening_ ? dir_ + "/listen" : "",
                        data_ && data_->max_io() ? data_->max_io() : 64 * 1024};
    ahead_->running = true;
    ahead_->data.clear();
    ahead_->at = 0;
    auto t = xenos::spawn(
        "read-ahead",
        [](void* arg) {
          std::unique_ptr<Job> j(static_cast<Job*>(arg));
          ReadAhead& a = *j->ahead;
          if (!j->listen.empty()) {
            auto ctl = ns::root().open(j->listen, ns::kReadWrite, 0);
            if (ctl) {
              char number[16];
              auto n = (*ctl)->read({reinterpret_cast<std::byte*>(number), sizeof number - 1}, 0);
              if (n)
                a.call_number.assign(number, *n), a.call = std::move(*ctl);
              else
                a.error = n.error().code;
            } else {
              a.error = ctl.error().code;
            }
          } else if (!a.closed) {
            std::vector<std::byte> buf(j->size);
            auto n = j->data->read(buf, 0);
            if (n)
              buf.resize(*n), a.data = std::move(buf);
            else
              a.error = n.error().code;
          }
          a.running = false;
          a.ready = true;
          poll_waiters->wake_all();
        },
        job, 64 * 1024);
    if (!t) {
      delete job;
      ahead_->running = false;
      return;
    }
    t->detach();
  }

  std::string bound_;
  bool headers_ = false, shut_read_ = false, shut_write_ = false, listening_ = false;
  std::shared_ptr<ReadAhead> ahead_;
};

namespace {

// sockaddr -> "ADDR!PORT" (Plan 9's form); "*!PORT" for the any-address.
bool plan9_address(const sockaddr* sa, socklen_t len, std::string* out) {
  char ip[INET6_ADDRSTRLEN];
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    auto* a = reinterpret_cast<const sockaddr_in*>(sa);
    if (a->sin_addr.s_addr == htonl(INADDR_ANY))
      *out = "*";
    else
      *out = inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    *out += "!" + std::to_string(ntohs(a->sin_port));
    return true;
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(sa);
    static const in6_addr any{};
    if (std::memcmp(&a->sin6_addr, &any, sizeof any) == 0)
      *out = "*";
    else
      *out = inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    *out += "!" + std::to_string(ntohs(a->sin6_port));
    return true;
  }
  return false;
}

// "ADDR!PORT" -> sockaddr, as the socket's family wants it (IPv4 in an AF_INET6 socket: mapped).
socklen_t socket_address(const std::string& text, int family, sockaddr_storage* out) {
  *out = {};
  size_t bang = text.rfind('!');
  std::string host = text.substr(0, bang);
  unsigned port =
      bang == std::string::npos ? 0 : unsigned(std::strtoul(text.c_str() + bang + 1, nullptr, 10));
  in_addr v4{};
  in6_addr v6{};
  bool is_v4 = inet_pton(AF_INET, host.c_str(), &v4) == 1;
  if (!is_v4 && inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    // An IPv4 peer of a dual-stack host socket shows as ::ffff:a.b.c.d: give IPv4 back as IPv4.
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET && std::memcmp(v6.s6_addr, mapped, 12) == 0) {
      std::memcpy(&v4, v6.s6_addr + 12, 4);
      is_v4 = true;
    }
  }
  if (family == AF_INET || (is_v4 && family != AF_INET6)) {
    auto* a = reinterpret_cast<sockaddr_in*>(out);
    a->sin_family = AF_INET;
    a->sin_port = htons(uint16_t(port));
    a->sin_addr = v4;
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(out);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(uint16_t(port));
  if (is_v4) {
    a->sin6_addr.s6_addr[10] = a->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
  } else {
    a->sin6_addr = v6;
  }
  return sizeof *a;
}

void give_address(const sockaddr_storage& ss, socklen_t len, sockaddr* out, socklen_t* out_len) {
  if (!out || !out_len) return;
  std::memcpy(out, &ss, std::min(len, *out_len));
  *out_len = len;
}

// A new conversation: opens PROTO/clone, which is its ctl, and reads its number.
ns::Result<Socket*> new_socket(int type, int family) {
  const char* proto = type == SOCK_STREAM ? "tcp" : "udp";
  auto ctl = ns::root().open(std::string("/net/") + proto + "/clone", ns::kReadWrite, 0);
  if (!ctl) {
    if (ctl.error().code == ENOENT)
      return ns::Error{EAFNOSUPPORT, "socket: no /net in this namespace (give the guest iohost's net tree)"};
    return ctl.error();
  }
  char number[16];
  size_t n = TRY((*ctl)->read({reinterpret_cast<std::byte*>(number), sizeof number - 1}, 0));
  std::string dir = std::string("/net/") + proto + "/" + std::string(number, n);
  return new Socket(type, family, dir, std::move(*ctl));
}

}  // namespace
}  // namespace posix

using posix::fail;
using posix::Socket;

extern "C" {

int socket(int domain, int type, int protocol) {
  if (domain != AF_INET && domain != AF_INET6) return fail(EAFNOSUPPORT);
  if (type & SOCK_NONBLOCK) return fail(EINVAL);  // every call blocks its thread (other threads run)
  int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (kind != SOCK_STREAM && kind != SOCK_DGRAM) return fail(EPROTONOSUPPORT);
  if (protocol != 0 && protocol != (kind == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
    return fail(EPROTONOSUPPORT);
  auto s = posix::new_socket(kind, domain);
  if (!s) return fail(s.error());
  return posix::install_socket(xenos::Owned<ns::OpenFile>(*s), *s, 0);
}

int bind(int fd, const sockaddr* address, socklen_t length) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  std::string where;
  if (!address || !posix::plan9_address(address, length, &where)) return fail(EINVAL);
  if (!s->bound().empty() || s->has_data()) return fail(EINVAL);
  // Plan 9 binds and listens in one "announce": a TCP socket announces at listen(); a UDP
  // socket now, with headers, so that recvfrom and sendto see and choose each peer.
  if (s->udp()) {
    if (auto a = s->control("announce " + where); !a) return fail(a.error());
    if (auto h = s->control("headers"); !h) return fail(h.error());
    if (auto d = s->open_data(); !d) return fail(d.error());
  }
  s->set_bound(where);
  return 0;
}

int listen(int fd, int) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  if (s->udp()) return fail(EOPNOTSUPP);
  if (s->bound().empty()) return fail(EDESTADDRREQ);  // no ephemeral announce: bind first
  if (auto a = s->control("announce " + s->bound()); !a) return fail(a.error());
  s->set_listening();
  return 0;
}

int accept4(int fd, sockaddr* address, socklen_t* length, int flags) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  if (s->udp()) return fail(EOPNOTSUPP);
  if (flags & SOCK_NONBLOCK) return fail(EINVAL);
  // Opening listen waits (in iohost, parked) for a call; what it opens is the call's ctl.
  // poll() may have done so already.
  xenos::Owned<ns::OpenFile> ctl;
  std::string number;
  int error = 0;
  if (s->take_call(&ctl, &number, &error)) {
    if (error) return fail(error);
  } else {
    auto opened = ns::root().open(s->dir() + "/listen", ns::kReadWrite, 0);
    if (!opened) return fail(opened.error());
    char text[16];
    auto n = (*opened)->read({reinterpret_cast<std::byte*>(text), sizeof text - 1}, 0);
    if (!n) return fail(n.error());
    number.assign(text, *n);
    ctl = std::move(*opened);
  }
  std::string dir = s->dir().substr(0, s->dir().rfind('/') + 1) + number;
  auto* call = new Socket(SOCK_STREAM, s->family(), dir, std::move(ctl));
  xenos::Owned<ns::OpenFile> owned(call);
  if (auto d = call->open_data(); !d) return fail(d.error());
  if (address && length) {
    auto remote = call->text("remote");
    if (!remote) return fail(remote.error());
    sockaddr_storage ss;
    socklen_t len = posix::socket_address(*remote, s->family(), &ss);
    posix::give_address(ss, len, address, length);
  }
  return posix::install_socket(std::move(owned), call, 0);
}

int accept(int fd, sockaddr* address, socklen_t* length) { return accept4(fd, address, length, 0); }

int connect(int fd, const sockaddr* address, socklen_t length) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  std::string where;
  if (!address || !posix::plan9_address(address, length, &where)) return fail(EAFNOSUPPORT);
  if (s->has_data() && !s->udp()) return fail(EISCONN);
  if (where[0] == '*') where = "127.0.0.1" + where.substr(1);  // connect to "any" means this host
  if (auto c = s->control("connect " + where); !c) return fail(c.error());
  if (auto d = s->open_data(); !d) return fail(d.error());
  return 0;
}

ssize_t send(int fd, const void* buffer, size_t length, int flags) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  if (flags & ~(MSG_NOSIGNAL | MSG_DONTROUTE)) return fail(EOPNOTSUPP);
  if (s->headers()) return fail(EDESTADDRREQ);  // a bound UDP socket says where: sendto
  auto n = s->write({static_cast<const std::byte*>(buffer), length}, 0);
  if (!n) return fail(n.error());
  return ssize_t(*n);
}

ssize_t recv(int fd, void* buffer, size_t length, int flags) {
  return recvfrom(fd, buffer, length, flags, nullptr, nullptr);
}

// A bound UDP socket's datagrams carry Plan 9's Udphdr: raddr[16] laddr[16] ifcaddr[16]
// rport[2] lport[2], IPv4 as v4-mapped IPv6, ports big-endian.
constexpr size_t kUdpHeader = 52;

ssize_t sendto(int fd, const void* buffer, size_t length, int flags, const sockaddr* to,
               socklen_t to_length) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  if (!to || !s->headers()) return send(fd, buffer, length, flags);
  std::string where;
  if (!posix::plan9_address(to, to_length, &where)) return fail(EAFNOSUPPORT);
  sockaddr_storage ss;
  posix::socket_address(where, AF_INET6, &ss);  // the header holds IPv6 (v4-mapped)
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
  std::string datagram(kUdpHeader + length, '\0');
  std::memcpy(&datagram[0], &a6->sin6_addr, 16);
  uint16_t port = ntohs(a6->sin6_port);
  datagram[48] = char(port >> 8);
  datagram[49] = char(port & 0xff);
  std::memcpy(&datagram[kUdpHeader], buffer, length);
  auto n = s->write({reinterpret_cast<const std::byte*>(datagram.data()), datagram.size()}, 0);
  if (!n) return fail(n.error());
  return ssize_t(*n >= kUdpHeader ? *n - kUdpHeader : 0);
}

ssize_t recvfrom(int fd, void* buffer, size_t length, int flags, sockaddr* from, socklen_t* from_length) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  if (flags & ~(MSG_NOSIGNAL | MSG_WAITALL)) return fail(EOPNOTSUPP);
  if (!s->headers()) {
    size_t done = 0;
    do {  // MSG_WAITALL: a stream read until the buffer is full or the stream ends
      auto n = s->read({static_cast<std::byte*>(buffer) + done, length - done}, 0);
      if (!n) return done ? ssize_t(done) : fail(n.error());
      if (*n == 0) break;
      done += *n;
    } while ((flags & MSG_WAITALL) && !s->udp() && done < length);
    if (from && from_length) {
      auto remote = s->text("remote");
      sockaddr_storage ss;
      if (remote)
        posix::give_address(ss, posix::socket_address(*remote, s->family(), &ss), from, from_length);
    }
    return ssize_t(done);
  }
  std::string datagram(kUdpHeader + length, '\0');
  auto n = s->read({reinterpret_cast<std::byte*>(&datagram[0]), datagram.size()}, 0);
  if (!n) return fail(n.error());
  if (*n < kUdpHeader) return fail(EIO);
  if (from && from_length) {
    char ip[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, datagram.data(), ip, sizeof ip);
    unsigned port = unsigned(uint8_t(datagram[48])) << 8 | uint8_t(datagram[49]);
    sockaddr_storage ss;
    posix::give_address(ss,
                        posix::socket_address(std::string(ip) + "!" + std::to_string(port), s->family(), &ss),
                        from, from_length);
  }
  std::memcpy(buffer, datagram.data() + kUdpHeader, *n - kUdpHeader);
  return ssize_t(*n - kUdpHeader);
}

int shutdown(int fd, int how) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return fail(EINVAL);
  if (!s->has_data()) return fail(ENOTCONN);
  const char* what = how == SHUT_RD ? "shutdown rd" : how == SHUT_WR ? "shutdown wr" : "shutdown rdwr";
  if (auto c = s->control(what); !c) return fail(c.error());
  s->shut(how);
  return 0;
}

static int name_of(int fd, const char* which, sockaddr* address, socklen_t* length) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  if (!address || !length) return fail(EFAULT);
  auto text = s->text(which);
  if (!text) return fail(text.error());
  if (std::strcmp(which, "remote") == 0 && (*text == "::!0" || !s->has_data())) return fail(ENOTCONN);
  sockaddr_storage ss;
  posix::give_address(ss, posix::socket_address(*text, s->family(), &ss), address, length);
  return 0;
}

int getsockname(int fd, sockaddr* address, socklen_t* length) {
  return name_of(fd, "local", address, length);
}
int getpeername(int fd, sockaddr* address, socklen_t* length) {
  return name_of(fd, "remote", address, length);
}

int setsockopt(int fd, int level, int name, const void* value, socklen_t length) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  if (!value || length < sizeof(int)) return fail(EINVAL);
  int on = *static_cast<const int*>(value);
  if (level == SOL_SOCKET && (name == SO_REUSEADDR || name == SO_REUSEPORT))
    return 0;                                                 // iohost always reuses
  if (level == IPPROTO_TCP && name == TCP_NODELAY) return 0;  // iohost's sockets are always NODELAY
  if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
    if (!on) return 0;
    auto c = s->control("keepalive");
    return c ? 0 : fail(c.error());
  }
  return fail(ENOPROTOOPT);
}

int getsockopt(int fd, int level, int name, void* value, socklen_t* length) {
  posix::SocketRef held(fd);  // a close() by another thread cannot free it under this call
  Socket* s = held.get();
  if (!s) return fail(ENOTSOCK);
  if (!value || !length || *length < sizeof(int)) return fail(EINVAL);
  int v;
  if (level == SOL_SOCKET && name == SO_TYPE)
    v = s->type();
  else if (level == SOL_SOCKET && name == SO_ERROR)
    v = 0;  // connect() is synchronous: nothing pending
  else if (level == IPPROTO_TCP && name == TCP_NODELAY)
    v = 1;
  else
    return fail(ENOPROTOOPT);
  *static_cast<int*>(value) = v;
  *length = sizeof(int);
  return 0;
}

}  // extern "C"

// ---- poll and select ------------------------------------------------------------------------

extern "C" {

int poll(struct pollfd* fds, nfds_t count, int timeout_ms) {
  uint64_t deadline = timeout_ms > 0 ? xenos::monotonic_ns() + uint64_t(timeout_ms) * 1000000 : 0;
  if (!posix::poll_waiters) posix::poll_waiters = new xenos::WaitQueue;
  for (;;) {
    int ready = 0;
    for (nfds_t i = 0; i < count; ++i) {
      pollfd& p = fds[i];
      p.revents = 0;
      if (p.fd < 0) continue;
      if (Socket* s = posix::socket_of(p.fd)) {
        p.revents = s->ready(p.events);
      } else {
        struct stat st;
        if (fstat(p.fd, &st) < 0)
          p.revents = POLLNVAL;
        else
          p.revents = short(p.events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));  // files never wait
      }
      if (p.revents) ++ready;
    }
    if (ready || timeout_ms == 0) return ready;
    if (timeout_ms < 0) {
      posix::poll_waiters->wait();
    } else if (!posix::poll_waiters->wait_until(deadline)) {
      // The deadline passed: one last look, so a read ahead that just came back counts.
      for (nfds_t i = 0; i < count; ++i)
        if (Socket* s = posix::socket_of(fds[i].fd); s && (fds[i].revents = s->ready(fds[i].events))) ++ready;
      return ready;
    }
  }
}

int select(int n, fd_set* readable, fd_set* writable, fd_set* failed, struct timeval* timeout) {
  if (n < 0 || n > FD_SETSIZE) return fail(EINVAL);
  std::vector<pollfd> fds;
  for (int fd = 0; fd < n; ++fd) {
    short events = short((readable && FD_ISSET(fd, readable) ? POLLIN : 0) |
                         (writable && FD_ISSET(fd, writable) ? POLLOUT : 0));
    if (events || (failed && FD_ISSET(fd, failed))) fds.push_back({fd, events, 0});
  }
  int ms = timeout ? int(timeout->tv_sec * 1000 + timeout->tv_usec / 1000) : -1;
  int r = poll(fds.data(), fds.size(), ms);
  if (r < 0) return r;
  if (readable) FD_ZERO(readable);
  if (writable) FD_ZERO(writable);
  if (failed) FD_ZERO(failed);
  int bits = 0;
  for (const pollfd& p : fds) {
    if (p.revents & POLLNVAL) return fail(EBADF);
    if (readable && (p.revents & (POLLIN | POLLHUP | POLLERR))) FD_SET(p.fd, readable), ++bits;
    if (writable && (p.revents & POLLOUT)) FD_SET(p.fd, writable), ++bits;
    if (failed && (p.revents & POLLERR)) FD_SET(p.fd, failed), ++bits;
  }
  return bits;
}

}  // extern "C"
