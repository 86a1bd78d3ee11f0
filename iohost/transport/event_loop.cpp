// The event loop (see event_loop.h).
#include "event_loop.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <cerrno>
#include <cstring>
#include <deque>
#include "guarded.h"
#include "../log.h"

namespace iohost {
namespace {

// A connection's input buffer starts small and grows (doubling) only as bytes arrive, up to one
// whole message: a header that declares 8 MiB and sends nothing holds 16 KiB, not 8 MiB. When
// it has drained, a buffer grown past kKeepBuffer is given back.
constexpr size_t kFirstBuffer = 16 * 1024;
constexpr size_t kKeepBuffer = 256 * 1024;

p9::Error sys_error(const std::string& what) { return p9::Error{errno, what + ": " + std::strerror(errno)}; }

// "tcp:ADDRESS:PORT" for an IPv4 or IPv6 socket address.
std::string tcp_name(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    port = ntohs(a->sin6_port);
  }
  return "tcp:" + std::string(ip) + ":" + std::to_string(port);
}

sigset_t loop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

uint64_t key_of(int fd) { return uint64_t(uint32_t(fd)); }
constexpr uint64_t kWorkersKey = 1ull << 40, kSignalsKey = 2ull << 40, kListenerKey = 4ull << 40,
                   kWatchKey = 8ull << 40;

}  // namespace

void block_loop_signals() {
  sigset_t set = loop_signals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

class Connection final : public p9::ReplySink {
 public:
  Connection(Fd fd, std::string name, const p9::Server& server, p9::Executor* executor, int epoll,
             std::vector<Connection*>* dirty, size_t max_queued, size_t listener, uid_t uid)
      : fd_(std::move(fd)), name_(std::move(name)), epoll_(epoll), dirty_(dirty), in_(kFirstBuffer),
        session_(server, *this, executor, name_, server.limits().max_msize), max_queued_(max_queued),
        listener_(listener), uid_(uid) {
    session_.budget()->on_exhausted(
        [this](const std::string& what) { refusals_(name_ + ": at its limit of " + what + ": refused"); });
  }

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  size_t fid_count() const { return session_.fid_count(); }
  size_t descriptors() const { return session_.budget()->descriptors(); }
  size_t listener() const { return listener_; }
  uid_t uid() const { return uid_; }

  // Memory held for this client counts what its replies' buffers hold, not their lengths. One
  // socket: every lane is the same.
  void send(std::vector<std::byte> reply, uint16_t /*lane*/) override {
    queued_ += reply.capacity();
    out_.push_back(std::move(reply));
    if (!dirty_flag_) {
      dirty_flag_ = true;
      dirty_->push_back(this);
    }
  }

  // Reads what is there and serves every whole message. An Error ends the connection.
  p9::Result<void> on_readable() {
    // One read a wake-up (epoll is level-triggered: it says again if more is there), so one
    // busy client cannot starve the others.
    if (in_.size() - in_used_ < kFirstBuffer / 4) {
      size_t cap = limit() + kFirstBuffer;
      if (in_.size() >= cap) return p9::Error{EBADMSG, "input buffer full"};  // cannot be: framing bounds it
      in_.resize(std::min(cap, std::max(in_.size() * 2, in_used_ + kFirstBuffer)));
    }
    ssize_t n = ::read(fd_.get(), in_.data() + in_used_, in_.size() - in_used_);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return {};
      return sys_error("read");
    }
    if (n == 0) return p9::Error{0, "closed by the client"};
    in_used_ += size_t(n);
    TRY_VOID(serve_buffered());
    if (in_used_ == 0 && in_.size() > kKeepBuffer) std::vector<std::byte>(kFirstBuffer).swap(in_);
    return {};
  }

  // Writes queued replies; asks epoll for writability while some remain.
  p9::Result<void> flush() {
    dirty_flag_ = false;
    while (!out_.empty()) {
      iovec iov[64];
      int count = 0;
      size_t offset = out_offset_;
      for (auto it = out_.begin(); it != out_.end() && count < 64; ++it, offset = 0)
        iov[count++] = {it->data() + offset, it->size() - offset};
      ssize_t n = ::writev(fd_.get(), iov, count);
      if (n < 0) {
        if (errno == EAGAIN) break;
        if (errno == EINTR) continue;
        return sys_error("write");
      }
      size_t written = size_t(n);
      while (written > 0) {
        size_t left = out_.front().size() - out_offset_;
        if (written < left) {
          out_offset_ += written;
          written = 0;
        } else {
          written -= left;
          queued_ -= out_.front().capacity();
          out_.pop_front();
          out_offset_ = 0;
        }
      }
    }
    update_interest();
    return {};
  }

 private:
  size_t limit() const { return session_.msize() != 0 ? session_.msize() : p9::kMaxVersionMessage; }

  p9::Result<void> serve_buffered() {
    size_t at = 0;
    while (in_used_ - at >= 4) {
      const std::byte* p = in_.data() + at;
      uint32_t size = p9::read_le32(p);
      size_t limit = this->limit();
      if (size < p9::kHeaderSize || size > limit)
        return p9::Error{EBADMSG, "message size " + std::to_string(size) + " outside [7, " +
                                      (session_.msize() != 0 ? "msize " : "the largest before Tversion ") +
                                      std::to_string(limit) + "]"};
      if (in_used_ - at < size) break;  // the rest is still coming: the buffer grows as it does
      TRY_VOID(receive_guarded(session_, std::span<const std::byte>(p, size)));
      at += size;
    }
    if (at > 0) {
      std::memmove(in_.data(), in_.data() + at, in_used_ - at);
      in_used_ -= at;
    }
    return {};
  }

  void update_interest() {
    uint32_t events = EPOLLRDHUP;
    if (queued_ < max_queued_) events |= EPOLLIN;  // a client that stops reading stops being read
    if (!out_.empty()) events |= EPOLLOUT;
    if (events == interest_) return;
    interest_ = events;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = key_of(fd_.get());
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd_.get(), &ev);
  }

  Fd fd_;
  std::string name_;
  int epoll_;
  std::vector<Connection*>* dirty_;
  bool dirty_flag_ = false;
  std::vector<std::byte> in_;
  size_t in_used_ = 0;
  std::deque<std::vector<std::byte>> out_;
  size_t out_offset_ = 0, queued_ = 0;
  uint32_t interest_ = EPOLLIN | EPOLLRDHUP;
  p9::Session session_;
  size_t max_queued_;
  size_t listener_;
  uid_t uid_;
  RateLimitedLog refusals_;
};

EventLoop::EventLoop(const p9::Server& server, WorkerPool& workers, AccessPolicy access, size_t client_memory)
    : server_(server), workers_(workers), access_(std::move(access)), client_memory_(client_memory),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)), reserve_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWorkersKey;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, workers_.wake_fd(), &ev);
  block_loop_signals();
  sigset_t set = loop_signals();
  signals_ = Fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  ev.data.u64 = kSignalsKey;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, signals_.get(), &ev);
}

EventLoop::~EventLoop() {
  connections_.clear();
  for (auto& l : listeners_)
    if (l->unix_socket) ::unlink(l->path.c_str());
}

p9::Result<void> EventLoop::listen(const std::string& address) {
  auto l = std::make_unique<Listener>();
  if (address.rfind("unix:", 0) == 0) {
    l->unix_socket = true;
    l->path = address.substr(5);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (l->path.empty() || l->path.size() >= sizeof sa.sun_path)
      return p9::Error{EINVAL, "listen " + address + ": bad socket path"};
    std::memcpy(sa.sun_path, l->path.c_str(), l->path.size() + 1);
    l->fd = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    ::unlink(l->path.c_str());  // a socket left by an earlier run
    // Connecting needs write permission on the socket file: created owner-only (no window in
    // which another user may connect), opened to others only when --allow names some, and
    // then SO_PEERCRED decides at accept.
    mode_t old_umask = ::umask(0177);
    int rc = ::bind(l->fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::umask(old_umask);
    if (rc < 0) return sys_error("listen " + address);
    if (access_.anyone_else() && ::chmod(l->path.c_str(), 0666) < 0) return sys_error("listen " + address);
    bound_.push_back(address);
    l->address = address;
  } else if (address.rfind("tcp:", 0) == 0) {
    std::string rest = address.substr(4);
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos) return p9::Error{EINVAL, "listen " + address + ": want tcp:HOST:PORT"};
    std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (!access_.remote_tcp && !is_loopback_host(host))
      return p9::Error{EACCES, "listen " + address +
                                   ": TCP on an address other hosts can reach gives anyone who reaches it "
                                   "every tree as iohost's user; say --allow-remote-tcp if that is meant"};
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) return p9::Error{EINVAL, "listen " + address + ": " + gai_strerror(rc)};
    l->fd = Fd(::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int one = 1;
    ::setsockopt(l->fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int bound = ::bind(l->fd.get(), res->ai_addr, res->ai_addrlen);
    ::freeaddrinfo(res);
    if (bound < 0) return sys_error("listen " + address);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(l->fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    bound_.push_back(tcp_name(ss));
    l->address = bound_.back();
  } else {
    return p9::Error{EINVAL, "listen " + address + ": want unix:PATH or tcp:HOST:PORT"};
  }
  if (::listen(l->fd.get(), 128) < 0) return sys_error("listen " + address);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerKey | listeners_.size();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, l->fd.get(), &ev);
  listeners_.push_back(std::move(l));
  return {};
}

void EventLoop::watch(int fd, std::function<void()> on_readable) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWatchKey | watched_.size();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  watched_.push_back(std::move(on_readable));
}

// At EMFILE the pending connection is taken with the reserve descriptor and closed at once (it
// sees the door shut, the log says why once), so a level-triggered listener never spins.
void EventLoop::accept_from(size_t index) {
  Listener& l = *listeners_[index];
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        refusals_(std::string("accept: ") + std::strerror(errno) +
                  ": iohost is out of descriptors; refusing "
                  "connections until some close");
        if (reserve_.valid()) {
          reserve_.reset();
          int shut = ::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
          int why = errno;
          if (shut >= 0) ::close(shut);
          reserve_ = Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
          if (shut >= 0 && reserve_.valid()) continue;
          if (shut < 0 && why == EAGAIN) return;
        }
        pause_listeners();  // no reserve either: listen again when a connection closes
        return;
      }
      if (errno != EAGAIN && errno != EINTR) log_line(std::string("accept: ") + std::strerror(errno));
      return;
    }
    Fd conn(fd);
    std::string name;
    uid_t uid = uid_t(-1);
    if (l.unix_socket) {
      ucred cred{};
      socklen_t cl = sizeof cred;
      ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
      uid = cred.uid;
      name = "unix:pid " + std::to_string(cred.pid) + " uid " + std::to_string(cred.uid);
      std::vector<gid_t> groups(1, cred.gid);
      if (!access_.groups.empty()) {
        gid_t more[256];
        socklen_t gl = sizeof more;
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, more, &gl) == 0)
          groups.insert(groups.end(), more, more + gl / sizeof(gid_t));
      }
      if (!access_.admits(cred.uid, groups)) {
        refusals_(name + ": refused: not allowed to connect (allowed: " + access_.describe() +
                  "; see --allow)");
        continue;
      }
      auto held = per_user_.find(uid);  // find, not []: a refused uid leaves no entry behind
      if (held != per_user_.end() && held->second >= access_.max_connections_per_user) {
        refusals_(name + ": refused: this user has " + std::to_string(held->second) +
                  " connections, the most allowed (--max-connections-per-user)");
        continue;
      }
    } else {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      name = tcp_name(ss);
    }
    if (l.connections >= access_.max_connections) {
      refusals_(name + ": refused: " + l.address + " has " + std::to_string(l.connections) +
                " connections, the most allowed (--max-connections)");
      continue;
    }
    int sndbuf = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = key_of(fd);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
    ++l.connections;
    if (l.unix_socket) ++per_user_[uid];
    connections_[fd] = std::make_unique<Connection>(std::move(conn), name, server_, &workers_, epoll_.get(),
                                                    &dirty_, client_memory_, index, uid);
    if (verbose()) log_line(name + ": connected");
  }
}

void EventLoop::pause_listeners() {
  if (listeners_paused_) return;
  listeners_paused_ = true;
  for (auto& l : listeners_) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, l->fd.get(), nullptr);
}

void EventLoop::resume_listeners() {
  if (!listeners_paused_) return;
  listeners_paused_ = false;
  if (!reserve_.valid()) reserve_ = Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  for (size_t i = 0; i < listeners_.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerKey | i;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listeners_[i]->fd.get(), &ev);
  }
}

void EventLoop::add_status(std::function<std::vector<std::string>()> lines) {
  status_.push_back(std::move(lines));
}

// One line a session, between a count and "status: end" (a reader waits for that line).
void EventLoop::log_status() const {
  log_line("status: " + std::to_string(connections_.size()) + " socket sessions");
  for (const auto& [fd, c] : connections_)
    log_line("status: " + c->name() + ": " + std::to_string(c->fid_count()) + " fids, " +
             std::to_string(c->descriptors()) + " host descriptors");
  for (const auto& lines : status_)
    for (const std::string& line : lines()) log_line("status: " + line);
  log_line("status: end");
}

void EventLoop::close_connection(int fd, const std::string& why) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  if (!why.empty())
    log_line(it->second->name() + ": " + why);
  else if (verbose())
    log_line(it->second->name() + ": closed by the client");
  std::erase(dirty_, it->second.get());
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  Listener& l = *listeners_[it->second->listener()];
  --l.connections;
  if (l.unix_socket && --per_user_[it->second->uid()] == 0) per_user_.erase(it->second->uid());
  connections_.erase(it);
  resume_listeners();
}

p9::Result<void> EventLoop::run() {
  if (listeners_.empty() && watched_.empty()) return p9::Error{EINVAL, "nothing to listen on"};
  epoll_event events[64];
  while (!stopping_) {
    int n = ::epoll_wait(epoll_.get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      uint64_t key = events[i].data.u64;
      if (key == kSignalsKey) {
        signalfd_siginfo si;
        (void)!::read(signals_.get(), &si, sizeof si);
        if (si.ssi_signo == SIGUSR1) {
          log_status();
          continue;
        }
        log_line(std::string("stopping on ") + strsignal(int(si.ssi_signo)));
        stopping_ = true;
      } else if (key == kWorkersKey) {
        workers_.run_finished();
      } else if (key & kWatchKey) {
        watched_[key & 0xffff]();
      } else if (key & kListenerKey) {
        accept_from(key & 0xffff);
      } else {
        int fd = int(key);
        auto it = connections_.find(fd);
        if (it == connections_.end()) continue;
        Connection& c = *it->second;
        if (events[i].events & EPOLLIN) {
          auto r = c.on_readable();
          if (!r) {
            close_connection(fd, r.error().code == 0 ? "" : "session ended: " + r.error().message);
            continue;
          }
        } else if (events[i].events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
          close_connection(fd, "");
          continue;
        }
        if (events[i].events & EPOLLOUT) {
          auto r = c.flush();
          if (!r) close_connection(fd, r.error().message);
        }
      }
    }
    // Write every reply made this turn, batched per connection.
    std::vector<Connection*> dirty;
    dirty.swap(dirty_);
    for (Connection* c : dirty) {
      auto r = c->flush();
      if (!r) close_connection(c->fd(), r.error().message);
    }
  }
  return {};
}

}  // namespace iohost
