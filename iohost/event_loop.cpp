// The event loop (see event_loop.h).
#include "event_loop.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <cerrno>
#include <cstring>
#include <deque>
#include "log.h"

namespace iohost {
namespace {

constexpr size_t kReadChunk = 256 * 1024;
constexpr size_t kMaxQueuedReplies = 64u << 20;  // a client that stops reading stops being read

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
             std::vector<Connection*>* dirty)
      : fd_(std::move(fd)), name_(std::move(name)), epoll_(epoll), dirty_(dirty), in_(kReadChunk),
        session_(server, *this, executor, name_, server.limits().max_msize),
        max_msize_(server.limits().max_msize) {}

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  size_t fid_count() const { return session_.fid_count(); }

  void send(std::vector<std::byte> reply) override {
    queued_ += reply.size();
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
    if (in_.size() - in_used_ < kReadChunk / 4) in_.resize(in_used_ + kReadChunk);
    ssize_t n = ::read(fd_.get(), in_.data() + in_used_, in_.size() - in_used_);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return {};
      return sys_error("read");
    }
    if (n == 0) return p9::Error{0, "closed by the client"};
    in_used_ += size_t(n);
    return serve_buffered();
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
      queued_ -= written;
      while (written > 0) {
        size_t left = out_.front().size() - out_offset_;
        if (written < left) {
          out_offset_ += written;
          written = 0;
        } else {
          written -= left;
          out_.pop_front();
          out_offset_ = 0;
        }
      }
    }
    update_interest();
    return {};
  }

 private:
  p9::Result<void> serve_buffered() {
    size_t at = 0;
    while (in_used_ - at >= 4) {
      const std::byte* p = in_.data() + at;
      uint32_t size = p9::read_le32(p);
      size_t limit = session_.msize() != 0 ? session_.msize() : max_msize_;
      if (size < p9::kHeaderSize || size > limit)
        return p9::Error{EBADMSG, "message size " + std::to_string(size) + " outside [7, msize " +
                                      std::to_string(limit) + "]"};
      if (in_used_ - at < size) {
        if (in_.size() < size) {  // make room for the whole message (bounded by msize above)
          std::memmove(in_.data(), in_.data() + at, in_used_ - at);
          in_used_ -= at;
          at = 0;
          in_.resize(size + kReadChunk);
        }
        break;
      }
      TRY_VOID(session_.receive(std::span<const std::byte>(p, size)));
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
    if (queued_ < kMaxQueuedReplies) events |= EPOLLIN;
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
  size_t max_msize_;
};

EventLoop::EventLoop(const p9::Server& server, WorkerPool& workers)
    : server_(server), workers_(workers), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
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
    if (::bind(l->fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
      return sys_error("listen " + address);
    bound_.push_back(address);
  } else if (address.rfind("tcp:", 0) == 0) {
    std::string rest = address.substr(4);
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos) return p9::Error{EINVAL, "listen " + address + ": want tcp:HOST:PORT"};
    std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
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

void EventLoop::accept_from(Listener& l) {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR) log_line(std::string("accept: ") + std::strerror(errno));
      return;
    }
    std::string name;
    if (l.unix_socket) {
      ucred cred{};
      socklen_t cl = sizeof cred;
      ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
      name = "unix:pid " + std::to_string(cred.pid) + " uid " + std::to_string(cred.uid);
    } else {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      name = tcp_name(ss);
    }
    int sndbuf = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = key_of(fd);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
    connections_[fd] = std::make_unique<Connection>(Fd(fd), name, server_, &workers_, epoll_.get(), &dirty_);
    if (verbose()) log_line(name + ": connected");
  }
}

void EventLoop::add_status(std::function<std::vector<std::string>()> lines) {
  status_.push_back(std::move(lines));
}

// One line a session, between a count and "status: end" (a reader waits for that line).
void EventLoop::log_status() const {
  log_line("status: " + std::to_string(connections_.size()) + " socket sessions");
  for (const auto& [fd, c] : connections_)
    log_line("status: " + c->name() + ": " + std::to_string(c->fid_count()) + " fids");
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
  connections_.erase(it);
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
        accept_from(*listeners_[key & 0xffff]);
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
