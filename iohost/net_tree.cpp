// The net tree (see net_tree.h): conversations over the host's sockets, Plan 9 style.
#include "net_tree.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include "p9/synthetic.h"

namespace iohost {
namespace {

using p9::Cancel;
using p9::Done;
using p9::Error;
using p9::Result;

enum class Proto { kTcp, kUdp };
const char* proto_name(Proto p) { return p == Proto::kTcp ? "tcp" : "udp"; }

Error sys_error(const std::string& what) { return Error{errno, "net: " + what + ": " + std::strerror(errno)}; }

// Plan 9's address form, ADDRESS!PORT, for a socket address.
std::string plan9_address(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (ss.ss_family == AF_INET) {
    auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    port = ntohs(a.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    ::inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip);
    port = ntohs(a.sin6_port);
  }
  return std::string(ip) + "!" + std::to_string(port);
}

bool parse_port(std::string_view text, uint16_t* port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + unsigned(c - '0');
  }
  if (v > 65535) return false;
  *port = uint16_t(v);
  return true;
}

// "ADDRESS!PORT" with a numeric address ("*" or none: any) into a socket address.
Result<sockaddr_storage> parse_address(const std::string& text, socklen_t* len, bool allow_any) {
  size_t bang = text.rfind('!');
  std::string host = bang == std::string::npos ? "*" : text.substr(0, bang);
  std::string port_text = bang == std::string::npos ? text : text.substr(bang + 1);
  uint16_t port = 0;
  if (!parse_port(port_text, &port)) return Error{EINVAL, "net: \"" + text + "\" is not ADDRESS!PORT"};
  sockaddr_storage ss{};
  if (host == "*" || host.empty()) {
    if (!allow_any) return Error{EINVAL, "net: connect needs an address, not \"" + text + "\""};
    auto& a = reinterpret_cast<sockaddr_in6&>(ss);  // dual-stack: IPv4 too
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons(port);
    *len = sizeof a;
    return ss;
  }
  auto& a4 = reinterpret_cast<sockaddr_in&>(ss);
  if (::inet_pton(AF_INET, host.c_str(), &a4.sin_addr) == 1) {
    a4.sin_family = AF_INET;
    a4.sin_port = htons(port);
    *len = sizeof a4;
    return ss;
  }
  auto& a6 = reinterpret_cast<sockaddr_in6&>(ss);
  if (::inet_pton(AF_INET6, host.c_str(), &a6.sin6_addr) == 1) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(port);
    *len = sizeof a6;
    return ss;
  }
  return Error{EINVAL, "net: \"" + host + "\" is not a numeric address (translate names with /net/cs)"};
}

std::vector<std::byte> bytes_of(const std::string& s) {
  auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

std::atomic<uint64_t> next_stack{1};

class Stack;

// One conversation: a socket and what Plan 9 shows of it.
struct Conv {
  enum class State { kIdle, kConnecting, kEstablished, kAnnounced, kClosed };
  Conv(Reactor& r, Proto p, unsigned n) : reactor(r), proto(p), id(n) {}
  ~Conv() { hangup("net: the conversation is gone"); }

  Reactor& reactor;
  Proto proto;
  unsigned id;
  Fd sock;
  State state = State::kIdle;
  std::string local, remote, err;
  bool headers = false;  // udp: each datagram carries Plan 9's 52-byte Udphdr
  int opens = 0;         // ctl and data files open: the last close hangs up
  // Requests parked on the socket; a hangup fails them.
  std::map<uint64_t, std::function<void(const Error&)>> parked;
  uint64_t next_parked = 1;
  // TCP writes go out whole and in the order they came: a later write waits for the earlier.
  std::deque<uint64_t> write_order;
  uint64_t next_write = 1;

  const char* state_name() const {
    switch (state) {
      case State::kIdle: return "Idle";
      case State::kConnecting: return "Connecting";
      case State::kEstablished: return "Established";
      case State::kAnnounced: return "Announced";
      case State::kClosed: return "Closed";
    }
    return "?";
  }
  void set_names() {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) local = plan9_address(ss);
    len = sizeof ss;
    if (::getpeername(sock.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) remote = plan9_address(ss);
  }
  Error failed(Error e) {
    err = e.message;
    return e;
  }
  void hangup(const std::string& why) {
    auto waiting = std::move(parked);
    parked.clear();
    if (sock.valid()) {
      reactor.forget(sock.get());
      sock.reset();
    }
    if (state != State::kIdle) state = State::kClosed;
    for (auto& [n, fail] : waiting) fail(Error{EPIPE, why});
  }
  void reset() {  // free for the next clone
    hangup("net: the conversation was closed");
    state = State::kIdle;
    local.clear();
    remote.clear();
    err.clear();
    headers = false;
  }
};

// Runs `attempt` now and, while it says it is not done yet, each time the socket is ready
// again. `attempt` returns true once it has called its request's Done. `fail` answers the
// request if the conversation is hung up meanwhile.
Cancel park(const std::shared_ptr<Conv>& conv, Reactor::Want want, std::function<bool()> attempt,
            std::function<void(const Error&)> fail) {
  if (attempt()) return [] {};
  struct Waiter {
    std::weak_ptr<Conv> conv;
    uint64_t key = 0;
    Reactor::WaitId wait = 0;
    std::function<bool()> attempt;
    Reactor::Want want;
    bool over = false;
  };
  auto w = std::make_shared<Waiter>();
  w->conv = conv;
  w->attempt = std::move(attempt);
  w->want = want;
  w->key = conv->next_parked++;
  auto arm = std::make_shared<std::function<void()>>();
  *arm = [w, arm_weak = std::weak_ptr<std::function<void()>>(arm)] {
    auto c = w->conv.lock();
    if (!c || w->over) return;
    w->wait = c->reactor.when_ready(c->sock.get(), w->want, [w, arm_weak] {
      if (w->over) return;
      if (w->attempt()) {
        w->over = true;
        if (auto c2 = w->conv.lock()) c2->parked.erase(w->key);
        return;
      }
      if (auto again = arm_weak.lock()) (*again)();
    });
  };
  conv->parked[w->key] = [w, arm, fail = std::move(fail)](const Error& e) {
    if (w->over) return;
    w->over = true;  // the hangup forgot the socket's waits already
    fail(e);
  };
  (*arm)();
  return [w] {
    if (w->over) return;
    w->over = true;
    if (auto c = w->conv.lock()) {
      c->reactor.cancel(w->wait);
      c->parked.erase(w->key);
    }
  };
}

// One attach's conversations: a guest's /net.
class Stack : public std::enable_shared_from_this<Stack> {
 public:
  Stack(Reactor& r, const NetPolicy& policy) : reactor_(r), policy_(policy), serial_(next_stack++) {}
  Reactor& reactor() { return reactor_; }
  const NetPolicy& policy() const { return policy_; }
  uint64_t qid_path(Proto p, unsigned conv, unsigned file) const {
    return (serial_ << 32) | (uint64_t(p == Proto::kUdp) << 31) | (uint64_t(conv) << 4) | file;
  }
  std::vector<std::shared_ptr<Conv>>& convs(Proto p) { return p == Proto::kTcp ? tcp_ : udp_; }
  std::shared_ptr<Conv> find(Proto p, unsigned id) {
    auto& list = convs(p);
    return id < list.size() ? list[id] : nullptr;
  }
  // The first free conversation, or a new one.
  std::shared_ptr<Conv> allocate(Proto p) {
    auto& list = convs(p);
    for (auto& c : list)
      if (c->opens == 0 && c->parked.empty()) {
        c->reset();
        return c;
      }
    list.push_back(std::make_shared<Conv>(reactor_, p, unsigned(list.size())));
    return list.back();
  }

 private:
  Reactor& reactor_;
  const NetPolicy& policy_;
  uint64_t serial_;
  std::vector<std::shared_ptr<Conv>> tcp_, udp_;
};

// An open ctl or data file counts as a use of its conversation; the last one hangs it up.
class ConvUse {
 public:
  explicit ConvUse(std::shared_ptr<Conv> c) : conv_(std::move(c)) { ++conv_->opens; }
  ~ConvUse() {
    if (--conv_->opens == 0) conv_->hangup("net: the conversation was closed");
  }
  ConvUse(const ConvUse&) = delete;
  ConvUse& operator=(const ConvUse&) = delete;
  const std::shared_ptr<Conv>& conv() const { return conv_; }

 private:
  std::shared_ptr<Conv> conv_;
};

// ---- ctl ------------------------------------------------------------------------------------

class CtlFile final : public p9::OpenFile {
 public:
  CtlFile(std::shared_ptr<Stack> stack, std::shared_ptr<Conv> conv) : stack_(std::move(stack)), use_(std::move(conv)) {}
  bool parks() const override { return true; }

  Cancel read_parked(uint64_t offset, size_t count, Done<std::vector<std::byte>> done) override {
    std::string text = std::to_string(conv().id);  // ip(3): reading ctl gives the number
    text = offset >= text.size() ? "" : text.substr(size_t(offset), count);
    done(bytes_of(text));
    return [] {};
  }

  Cancel write_parked(uint64_t, std::vector<std::byte> data, Done<size_t> done) override {
    std::string line(reinterpret_cast<const char*>(data.data()), data.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\0')) line.pop_back();
    size_t n = data.size();
    std::vector<std::string> words;
    for (size_t at = 0; at < line.size();) {
      size_t end = line.find(' ', at);
      if (end == std::string::npos) end = line.size();
      if (end > at) words.push_back(line.substr(at, end - at));
      at = end + 1;
    }
    if (words.empty()) return answer(done, Error{EINVAL, "net: empty control message"});
    const std::string& verb = words[0];
    if (verb == "connect" && words.size() >= 2) return connect(words[1], n, std::move(done));
    if (verb == "announce" && words.size() >= 2) return answer(done, announce(words[1]), n);
    if (verb == "hangup" && words.size() == 1) {
      conv().hangup("net: hung up");
      return answer(done, Result<void>{}, n);
    }
    if (verb == "keepalive") {
      if (!conv().sock.valid()) return answer(done, Error{ENOTCONN, "net: keepalive: not connected"});
      int one = 1;
      ::setsockopt(conv().sock.get(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
      return answer(done, Result<void>{}, n);
    }
    if (verb == "shutdown" && words.size() == 2) {  // BSD's half-close: "shutdown rd|wr|rdwr"
      int how = words[1] == "rd" ? SHUT_RD : words[1] == "wr" ? SHUT_WR : words[1] == "rdwr" ? SHUT_RDWR : -1;
      if (how < 0) return answer(done, Error{EINVAL, "net: shutdown wants rd, wr or rdwr"});
      if (!conv().sock.valid() || ::shutdown(conv().sock.get(), how) < 0)
        return answer(done, conv().sock.valid() ? sys_error("shutdown") : Error{ENOTCONN, "net: shutdown: not connected"});
      return answer(done, Result<void>{}, n);
    }
    if (verb == "headers" && words.size() == 1 && conv().proto == Proto::kUdp) {
      conv().headers = true;
      return answer(done, Result<void>{}, n);
    }
    return answer(done, Error{EINVAL, "net: unknown control message \"" + line + "\""});
  }

 private:
  Conv& conv() { return *use_.conv(); }

  Cancel answer(Done<size_t>& done, Result<void> r, size_t n = 0) {
    if (!r) done(conv().failed(r.error()));
    else done(n);
    return [] {};
  }

  Result<void> open_socket(int family) {
    if (conv().sock.valid() || conv().state != Conv::State::kIdle)
      return Error{EISCONN, "net: the conversation is in use (" + std::string(conv().state_name()) + ")"};
    int type = conv().proto == Proto::kTcp ? SOCK_STREAM : SOCK_DGRAM;
    conv().sock = Fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!conv().sock.valid()) return sys_error("socket");
    return {};
  }

  Cancel connect(const std::string& where, size_t n, Done<size_t> done) {
    socklen_t len = 0;
    auto address = parse_address(where, &len, false);
    if (!address) return answer(done, address.error());
    std::string host = where.substr(0, where.rfind('!'));
    if (!stack_->policy().may_connect(host))
      return answer(done, Error{EACCES, "net: connect to " + where + " is not allowed here (" +
                                            stack_->policy().describe() + ")"});
    if (auto s = open_socket(address->ss_family); !s) return answer(done, s.error());
    if (conv().proto == Proto::kTcp) {
      int one = 1;
      ::setsockopt(conv().sock.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (::connect(conv().sock.get(), reinterpret_cast<sockaddr*>(&*address), len) == 0) {
      conv().state = Conv::State::kEstablished;
      conv().set_names();
      return answer(done, Result<void>{}, n);
    }
    if (errno != EINPROGRESS) {
      Error e = sys_error("connect " + where);
      conv().hangup(e.message);
      return answer(done, e);
    }
    conv().state = Conv::State::kConnecting;
    std::shared_ptr<Conv> c = use_.conv();
    auto reply = std::make_shared<Done<size_t>>(std::move(done));
    return park(c, Reactor::Want::kWritable,
                [c, n, reply, where]() -> bool {  // the socket is writable: connected, or failed
                  int soerr = 0;
                  socklen_t l = sizeof soerr;
                  ::getsockopt(c->sock.get(), SOL_SOCKET, SO_ERROR, &soerr, &l);
                  if (soerr == 0) {
                    c->state = Conv::State::kEstablished;
                    c->set_names();
                    (*reply)(n);
                  } else {
                    errno = soerr;
                    Error e = c->failed(sys_error("connect " + where));
                    c->hangup(e.message);
                    (*reply)(e);
                  }
                  return true;
                },
                [reply](const Error& e) { (*reply)(e); });
  }

  Result<void> announce(const std::string& where) {
    socklen_t len = 0;
    sockaddr_storage ss = TRY(parse_address(where, &len, true));
    uint16_t port = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(ss).sin_port
                                                   : reinterpret_cast<sockaddr_in6&>(ss).sin6_port);
    if (!stack_->policy().may_announce(port))
      return Error{EACCES, "net: announce on port " + std::to_string(port) + " is not allowed here (" +
                               stack_->policy().describe() + ")"};
    TRY_VOID(open_socket(ss.ss_family));
    int one = 1, zero = 0;
    ::setsockopt(conv().sock.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6) ::setsockopt(conv().sock.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (::bind(conv().sock.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0 ||
        (conv().proto == Proto::kTcp && ::listen(conv().sock.get(), 64) < 0)) {
      Error e = sys_error("announce " + where);
      conv().hangup(e.message);
      conv().state = Conv::State::kIdle;
      return e;
    }
    conv().state = Conv::State::kAnnounced;
    conv().set_names();
    return {};
  }

  std::shared_ptr<Stack> stack_;
  ConvUse use_;
};

// ---- data -----------------------------------------------------------------------------------

// Plan 9's Udphdr: raddr[16] laddr[16] ifcaddr[16] rport[2] lport[2], IPv4 as v4-mapped IPv6.
constexpr size_t kUdpHeader = 52;

void put_v6(std::byte* out, const sockaddr_storage& ss, uint16_t* port) {
  in6_addr a{};
  if (ss.ss_family == AF_INET) {
    auto& s4 = reinterpret_cast<const sockaddr_in&>(ss);
    a.s6_addr[10] = a.s6_addr[11] = 0xff;
    std::memcpy(&a.s6_addr[12], &s4.sin_addr, 4);
    *port = ntohs(s4.sin_port);
  } else {
    auto& s6 = reinterpret_cast<const sockaddr_in6&>(ss);
    a = s6.sin6_addr;
    *port = ntohs(s6.sin6_port);
  }
  std::memcpy(out, &a, 16);
}

class DataFile final : public p9::OpenFile {
 public:
  explicit DataFile(std::shared_ptr<Conv> conv) : use_(std::move(conv)) {}
  bool parks() const override { return true; }

  Cancel read_parked(uint64_t, size_t count, Done<std::vector<std::byte>> done) override {
    std::shared_ptr<Conv> c = use_.conv();
    if (!c->sock.valid() || c->state == Conv::State::kConnecting || (c->proto == Proto::kTcp && c->state != Conv::State::kEstablished)) {
      done(Error{ENOTCONN, "net: read: the conversation is " + std::string(c->state_name())});
      return [] {};
    }
    auto reply = std::make_shared<Done<std::vector<std::byte>>>(std::move(done));
    return park(c, Reactor::Want::kReadable,
                [c, count, reply]() -> bool {
                  bool headers = c->headers;
                  if (headers && count < kUdpHeader + 1) {
                    (*reply)(Error{EINVAL, "net: a read of a udp conversation with headers needs room for them"});
                    return true;
                  }
                  std::vector<std::byte> buf(count);
                  size_t at = headers ? kUdpHeader : 0;
                  sockaddr_storage from{};
                  socklen_t len = sizeof from;
                  ssize_t got = ::recvfrom(c->sock.get(), buf.data() + at, count - at, MSG_DONTWAIT,
                                           reinterpret_cast<sockaddr*>(&from), &len);
                  if (got < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
                    (*reply)(c->failed(sys_error("read")));
                    return true;
                  }
                  if (headers) {
                    uint16_t rport = 0, lport = 0;
                    put_v6(buf.data(), from, &rport);
                    sockaddr_storage me{};
                    socklen_t ml = sizeof me;
                    ::getsockname(c->sock.get(), reinterpret_cast<sockaddr*>(&me), &ml);
                    put_v6(buf.data() + 16, me, &lport);
                    std::memcpy(buf.data() + 32, buf.data() + 16, 16);  // ifcaddr: the local address
                    buf[48] = std::byte(rport >> 8), buf[49] = std::byte(rport);
                    buf[50] = std::byte(lport >> 8), buf[51] = std::byte(lport);
                  }
                  buf.resize(at + size_t(got));
                  (*reply)(std::move(buf));
                  return true;
                },
                [reply](const Error& e) { (*reply)(e); });
  }

  Cancel write_parked(uint64_t, std::vector<std::byte> data, Done<size_t> done) override {
    std::shared_ptr<Conv> c = use_.conv();
    if (!c->sock.valid() || (c->proto == Proto::kTcp && c->state != Conv::State::kEstablished)) {
      done(Error{ENOTCONN, "net: write: the conversation is " + std::string(c->state_name())});
      return [] {};
    }
    if (c->proto == Proto::kUdp) return send_datagram(*c, data, done);
    auto state = std::make_shared<std::pair<std::vector<std::byte>, size_t>>(std::move(data), 0);
    uint64_t turn = c->next_write++;
    c->write_order.push_back(turn);
    auto over = [c, turn] { std::erase(c->write_order, turn); };
    auto reply = std::make_shared<Done<size_t>>([done = std::move(done), over](Result<size_t> r) {
      over();
      done(std::move(r));
    });
    Cancel cancel = park(c, Reactor::Want::kWritable,
                [c, state, reply, turn]() -> bool {
                  if (c->write_order.empty() || c->write_order.front() != turn) return false;  // not its turn yet
                  auto& [bytes, sent] = *state;
                  while (sent < bytes.size()) {
                    ssize_t n = ::send(c->sock.get(), bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                    if (n < 0) {
                      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
                      (*reply)(c->failed(sys_error("write")));
                      return true;
                    }
                    sent += size_t(n);
                  }
                  (*reply)(sent);
                  return true;
                },
                [reply](const Error& e) { (*reply)(e); });
    return [cancel, over] {
      cancel();
      over();
    };
  }

 private:
  // One write, one datagram (with headers: to the address in its Udphdr).
  static Cancel send_datagram(Conv& c, const std::vector<std::byte>& data, Done<size_t>& done) {
    ssize_t n;
    if (c.headers) {
      if (data.size() < kUdpHeader) {
        done(Error{EINVAL, "net: a udp write with headers is shorter than its header"});
        return [] {};
      }
      sockaddr_in6 to{};
      to.sin6_family = AF_INET6;
      std::memcpy(&to.sin6_addr, data.data(), 16);
      to.sin6_port = htons(uint16_t(uint16_t(data[48]) << 8 | uint16_t(data[49])));
      sockaddr_storage local{};
      socklen_t ll = sizeof local;
      ::getsockname(c.sock.get(), reinterpret_cast<sockaddr*>(&local), &ll);
      if (local.ss_family == AF_INET) {  // an IPv4 socket takes the v4-mapped address as IPv4
        sockaddr_in to4{};
        to4.sin_family = AF_INET;
        std::memcpy(&to4.sin_addr, data.data() + 12, 4);
        to4.sin_port = to.sin6_port;
        n = ::sendto(c.sock.get(), data.data() + kUdpHeader, data.size() - kUdpHeader, MSG_DONTWAIT,
                     reinterpret_cast<sockaddr*>(&to4), sizeof to4);
      } else {
        n = ::sendto(c.sock.get(), data.data() + kUdpHeader, data.size() - kUdpHeader, MSG_DONTWAIT,
                     reinterpret_cast<sockaddr*>(&to), sizeof to);
      }
      if (n >= 0) n += ssize_t(kUdpHeader);
    } else {
      n = ::send(c.sock.get(), data.data(), data.size(), MSG_DONTWAIT);
    }
    if (n < 0) done(c.failed(sys_error("write")));  // a full queue drops a datagram: EAGAIN says so
    else done(size_t(n));
    return [] {};
  }

  ConvUse use_;
};

// ---- the nodes ------------------------------------------------------------------------------

enum FileKind : unsigned { kDir, kCtl, kData, kListen, kLocal, kRemote, kStatus, kErr };
constexpr const char* kFileNames[] = {"", "ctl", "data", "listen", "local", "remote", "status", "err"};

class ConvFile final : public p9::Node {
 public:
  ConvFile(std::shared_ptr<Stack> s, std::shared_ptr<Conv> c, FileKind k) : stack_(std::move(s)), conv_(std::move(c)), kind_(k) {}
  p9::Qid qid() override { return {p9::QTFILE, 0, stack_->qid_path(conv_->proto, conv_->id, kind_)}; }
  Result<p9::Attr> getattr() override {
    return p9::synthetic_attr(qid(), kind_ == kCtl || kind_ == kData ? 0660 : kind_ == kListen ? 0660 : 0444, 0);
  }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t flags) override {
    bool writes = (flags & 3) != p9::linux_flags::O_RDONLY;
    switch (kind_) {
      case kCtl: return std::unique_ptr<p9::OpenFile>(new CtlFile(stack_, conv_));
      case kData: return std::unique_ptr<p9::OpenFile>(new DataFile(conv_));
      case kListen: return Error{EIO, "net: listen opens through open_parked"};
      default:
        if (writes) return Error{EACCES, std::string("net: ") + kFileNames[kind_] + " is read-only"};
        return text();
    }
  }
  Result<void> setattr(const p9::SetAttr& attr) override {  // a shell's ">" truncates: meaningless here
    if (attr.valid & ~uint32_t(p9::P9_SETATTR_SIZE | p9::P9_SETATTR_ATIME | p9::P9_SETATTR_MTIME | 0x40 /* CTIME */))
      return Error{EPERM, "net: attributes cannot be changed"};
    return {};
  }
  bool parks_open() const override { return kind_ == kListen; }
  Cancel open_parked(uint32_t, Done<std::unique_ptr<p9::OpenFile>> done) override {
    std::shared_ptr<Conv> c = conv_;
    if (c->proto != Proto::kTcp || c->state != Conv::State::kAnnounced) {
      done(Error{EINVAL, std::string("net: listen: the conversation is not an announced tcp one (") + c->state_name() + ")"});
      return [] {};
    }
    auto reply = std::make_shared<Done<std::unique_ptr<p9::OpenFile>>>(std::move(done));
    std::shared_ptr<Stack> stack = stack_;
    return park(c, Reactor::Want::kReadable,
                [c, stack, reply]() -> bool {
                  int fd = ::accept4(c->sock.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                  if (fd < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return false;
                    (*reply)(c->failed(sys_error("listen")));
                    return true;
                  }
                  int one = 1;
                  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                  std::shared_ptr<Conv> call = stack->allocate(Proto::kTcp);
                  call->sock = Fd(fd);
                  call->state = Conv::State::kEstablished;
                  call->set_names();
                  (*reply)(std::unique_ptr<p9::OpenFile>(new CtlFile(stack, call)));  // ip(3): the new ctl
                  return true;
                },
                [reply](const Error& e) { (*reply)(e); });
  }

 private:
  Result<std::unique_ptr<p9::OpenFile>> text() {
    std::string t;
    switch (kind_) {
      case kLocal: t = conv_->local.empty() ? "::!0" : conv_->local; break;
      case kRemote: t = conv_->remote.empty() ? "::!0" : conv_->remote; break;
      case kStatus: t = conv_->state_name(); break;
      default: t = conv_->err; break;
    }
    auto node = p9::text_file([t] { return t + "\n"; });
    return node->open(p9::linux_flags::O_RDONLY);
  }

  std::shared_ptr<Stack> stack_;
  std::shared_ptr<Conv> conv_;
  FileKind kind_;
};

class ConvDir final : public p9::Node {
 public:
  ConvDir(std::shared_ptr<Stack> s, std::shared_ptr<Conv> c) : stack_(std::move(s)), conv_(std::move(c)) {}
  p9::Qid qid() override { return {p9::QTDIR, 0, stack_->qid_path(conv_->proto, conv_->id, kDir)}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0555, 0); }
  Result<std::shared_ptr<p9::Node>> walk(std::string_view name) override {
    for (unsigned k = kCtl; k <= kErr; ++k)
      if (name == kFileNames[k]) return std::shared_ptr<p9::Node>(std::make_shared<ConvFile>(stack_, conv_, FileKind(k)));
    return Error{ENOENT, "net: no file \"" + std::string(name) + "\" in a conversation"};
  }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t) override {
    std::vector<std::pair<std::string, p9::Qid>> children;
    for (unsigned k = kCtl; k <= kErr; ++k)
      children.emplace_back(kFileNames[k], p9::Qid{p9::QTFILE, 0, stack_->qid_path(conv_->proto, conv_->id, k)});
    return p9::listing(qid(), children);
  }

 private:
  std::shared_ptr<Stack> stack_;
  std::shared_ptr<Conv> conv_;
};

class CloneFile final : public p9::Node {
 public:
  CloneFile(std::shared_ptr<Stack> s, Proto p) : stack_(std::move(s)), proto_(p) {}
  p9::Qid qid() override { return {p9::QTFILE, 0, stack_->qid_path(proto_, 0x7ffffff, 0)}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0666, 0); }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t) override {
    return std::unique_ptr<p9::OpenFile>(new CtlFile(stack_, stack_->allocate(proto_)));
  }
  Result<void> setattr(const p9::SetAttr& attr) override {
    if (attr.valid & ~uint32_t(p9::P9_SETATTR_SIZE | p9::P9_SETATTR_ATIME | p9::P9_SETATTR_MTIME | 0x40))
      return Error{EPERM, "net: attributes cannot be changed"};
    return {};
  }

 private:
  std::shared_ptr<Stack> stack_;
  Proto proto_;
};

class ProtoDir final : public p9::Node {
 public:
  ProtoDir(std::shared_ptr<Stack> s, Proto p) : stack_(std::move(s)), proto_(p) {}
  p9::Qid qid() override { return {p9::QTDIR, 0, stack_->qid_path(proto_, 0x7fffffe, 0)}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0555, 0); }
  Result<std::shared_ptr<p9::Node>> walk(std::string_view name) override {
    if (name == "clone") return std::shared_ptr<p9::Node>(std::make_shared<CloneFile>(stack_, proto_));
    uint16_t n = 0;
    if (parse_port(name, &n))
      if (auto c = stack_->find(proto_, n); c && in_use(*c))
        return std::shared_ptr<p9::Node>(std::make_shared<ConvDir>(stack_, c));
    return Error{ENOENT, std::string("net: no ") + proto_name(proto_) + " conversation \"" + std::string(name) + "\""};
  }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t) override {
    std::vector<std::pair<std::string, p9::Qid>> children;
    children.emplace_back("clone", CloneFile(stack_, proto_).qid());
    for (auto& c : stack_->convs(proto_))
      if (in_use(*c)) children.emplace_back(std::to_string(c->id), ConvDir(stack_, c).qid());
    return p9::listing(qid(), children);
  }

 private:
  static bool in_use(const Conv& c) { return c.opens > 0 || !c.parked.empty(); }
  std::shared_ptr<Stack> stack_;
  Proto proto_;
};

// cs(8): name to address translation, with the host's resolver. It may wait on DNS: the node
// is blocking(), so the Session runs it on the Executor.
class CsFile final : public p9::OpenFile {
 public:
  Result<size_t> write(uint64_t, std::span<const std::byte> in) override {
    std::string q(reinterpret_cast<const char*>(in.data()), in.size());
    while (!q.empty() && (q.back() == '\n' || q.back() == '\0')) q.pop_back();
    size_t b1 = q.find('!'), b2 = q.rfind('!');
    if (b1 == std::string::npos || b1 == b2) return Error{EINVAL, "cs: want PROTO!HOST!PORT, not \"" + q + "\""};
    std::string proto = q.substr(0, b1), host = q.substr(b1 + 1, b2 - b1 - 1), port = q.substr(b2 + 1);
    if (proto == "net") proto = "tcp";
    if (proto != "tcp" && proto != "udp") return Error{EINVAL, "cs: unknown protocol \"" + proto + "\""};
    answer_.clear();
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = proto == "tcp" ? SOCK_STREAM : SOCK_DGRAM;
    hints.ai_family = AF_UNSPEC;
    if (host == "*") {
      hints.ai_flags = AI_PASSIVE;
      host.clear();
    }
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) return Error{ENOENT, "cs: cannot translate " + q + ": " + ::gai_strerror(rc)};
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      sockaddr_storage ss{};
      std::memcpy(&ss, a->ai_addr, a->ai_addrlen);
      std::string line = "/net/" + proto + "/clone " + plan9_address(ss) + "\n";
      if (answer_.find(line) == std::string::npos) answer_ += line;
    }
    ::freeaddrinfo(res);
    return in.size();
  }
  Result<size_t> read(uint64_t offset, std::span<std::byte> out) override {
    if (offset >= answer_.size()) return size_t(0);
    size_t n = std::min(out.size(), answer_.size() - size_t(offset));
    std::memcpy(out.data(), answer_.data() + offset, n);
    return n;
  }

 private:
  std::string answer_;
};

class CsNode final : public p9::Node {
 public:
  explicit CsNode(uint64_t path) : path_(path) {}
  bool blocking() const override { return true; }
  p9::Qid qid() override { return {p9::QTFILE, 0, path_}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0666, 0); }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t) override { return std::unique_ptr<p9::OpenFile>(new CsFile); }

 private:
  uint64_t path_;
};

}  // namespace

// ---- policy ---------------------------------------------------------------------------------

bool NetPolicy::may_connect(const std::string& address) const {
  if (connect_to.empty()) return true;
  for (const std::string& a : connect_to)
    if (a == address) return true;
  return false;
}

bool NetPolicy::may_announce(uint16_t port) const {
  for (auto [lo, hi] : announce_on)
    if (port >= lo && port <= hi) return true;
  return false;
}

std::string NetPolicy::describe() const {
  std::string s = "connect: ";
  if (connect_to.empty()) s += "anywhere";
  for (size_t i = 0; i < connect_to.size(); ++i) s += (i ? "," : "") + connect_to[i];
  s += "; announce: ";
  if (announce_on.empty()) s += "no port";
  for (size_t i = 0; i < announce_on.size(); ++i) {
    s += (i ? "," : "") + std::to_string(announce_on[i].first);
    if (announce_on[i].second != announce_on[i].first) s += "-" + std::to_string(announce_on[i].second);
  }
  return s;
}

Result<NetConfig> parse_net(const std::string& spec) {
  NetConfig c;
  size_t comma = spec.find(',');
  c.name = spec.substr(0, comma);
  if (c.name.empty() || c.name.find('=') != std::string::npos)
    return Error{EINVAL, "--net wants NAME[,announce=PORT[-PORT]][,connect=ADDRESS], not \"" + spec + "\""};
  while (comma != std::string::npos) {
    size_t next = spec.find(',', comma + 1);
    std::string option = spec.substr(comma + 1, next == std::string::npos ? std::string::npos : next - comma - 1);
    comma = next;
    if (option.rfind("announce=", 0) == 0) {
      std::string range = option.substr(9);
      size_t dash = range.find('-');
      uint16_t lo = 0, hi = 0;
      if (!parse_port(range.substr(0, dash), &lo) ||
          !parse_port(dash == std::string::npos ? range : range.substr(dash + 1), &hi) || hi < lo || lo == 0)
        return Error{EINVAL, "--net " + c.name + ": \"" + option + "\" is not announce=PORT or announce=PORT-PORT"};
      c.policy.announce_on.emplace_back(lo, hi);
    } else if (option.rfind("connect=", 0) == 0) {
      std::string address = option.substr(8);
      in6_addr scratch;
      if (::inet_pton(AF_INET, address.c_str(), &scratch) != 1 && ::inet_pton(AF_INET6, address.c_str(), &scratch) != 1)
        return Error{EINVAL, "--net " + c.name + ": connect= wants a numeric address, not \"" + address + "\""};
      c.policy.connect_to.push_back(address);
    } else {
      return Error{EINVAL, "--net " + c.name + ": unknown option \"" + option + "\""};
    }
  }
  return c;
}

// ---- the tree -------------------------------------------------------------------------------

Result<std::shared_ptr<p9::Node>> NetTree::attach(const p9::Caller&) {
  auto stack = std::make_shared<Stack>(reactor_, policy_);
  auto root = std::make_shared<p9::SyntheticDir>();
  root->add("tcp", std::make_shared<ProtoDir>(stack, Proto::kTcp));
  root->add("udp", std::make_shared<ProtoDir>(stack, Proto::kUdp));
  root->add("cs", std::make_shared<CsNode>(stack->qid_path(Proto::kTcp, 0x7fffffd, 0)));
  return std::shared_ptr<p9::Node>(root);
}

}  // namespace iohost
