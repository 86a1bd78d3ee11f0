// The net tree's conversations (see net_tree.h): a socket and what Plan 9 shows of it, the
// requests parked on it, and one attach's set of them. Internal to iohost's net tree: net_ctl.cpp
// and net_data.cpp make its open files, net_tree.cpp its nodes.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>
#include <atomic>
#include <cerrno>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "../../fd.h"
#include "net_tree.h"
#include "../../reactor.h"

namespace iohost::net {

using p9::Cancel;
using p9::Done;
using p9::Error;
using p9::Result;

enum class Proto { kTcp, kUdp };
inline const char* proto_name(Proto p) { return p == Proto::kTcp ? "tcp" : "udp"; }

p9::Error sys_error(const std::string& what);  // "net: WHAT: strerror(errno)", errno kept
// Plan 9's address form, ADDRESS!PORT, for a socket address.
std::string plan9_address(const sockaddr_storage& ss);
bool parse_port(std::string_view text, uint16_t* port);
// "ADDRESS!PORT" with a numeric address ("*" or none: any, if allowed) into a socket address.
p9::Result<sockaddr_storage> parse_address(const std::string& text, socklen_t* len, bool allow_any);
std::vector<std::byte> bytes_of(const std::string& s);
// A ctl message's words (ip(3)): split on spaces, a trailing newline or NUL dropped.
std::vector<std::string> ctl_words(std::string_view message);
// A cs query, PROTO!HOST!PORT ("net" is tcp; HOST "*": empty, an address to announce on).
struct CsQuery {
  std::string text, proto, host, port;
};
p9::Result<CsQuery> parse_cs_query(std::string_view message);

// Each attach's stack has a serial in its qids. It starts at a random point, so that a
// client's recovery after an iohost restart (lib9p re-walks its fids and compares qids) finds
// that no conversation of the old process exists in the new one: a lost connection is an
// ESTALE error, never silently another conversation under the same number.
uint64_t first_stack_serial();
inline std::atomic<uint64_t> next_stack{first_stack_serial()};

class Stack;

// One conversation: a socket and what Plan 9 shows of it.
struct Conv {
  enum class State { kIdle, kConnecting, kEstablished, kAnnounced, kClosed };
  Conv(Reactor& r, const NetPolicy& pol, Proto p, unsigned n) : reactor(r), policy(pol), proto(p), id(n) {}
  ~Conv() { hangup("net: the conversation is gone"); }

  Reactor& reactor;
  const NetPolicy& policy;  // the tree's: every destination is checked against it
  Proto proto;
  unsigned id;
  Fd sock;
  p9::Charge sock_charge;  // the client's budget counts sock
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
    sock_charge = p9::Charge();
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
            std::function<void(const Error&)> fail);

// One attach's conversations: a guest's /net.
class Stack : public std::enable_shared_from_this<Stack> {
 public:
  Stack(Reactor& r, const NetPolicy& policy, std::shared_ptr<p9::Budget> budget)
      : reactor_(r), policy_(policy), budget_(std::move(budget)), serial_(next_stack++) {}
  Reactor& reactor() { return reactor_; }
  const NetPolicy& policy() const { return policy_; }
  const std::shared_ptr<p9::Budget>& budget() const { return budget_; }
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
    list.push_back(std::make_shared<Conv>(reactor_, policy_, p, unsigned(list.size())));
    return list.back();
  }

 private:
  Reactor& reactor_;
  const NetPolicy& policy_;
  std::shared_ptr<p9::Budget> budget_;  // the attaching client's: sockets count against it
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

// The open files of a conversation (net_ctl.cpp, net_data.cpp).
std::unique_ptr<p9::OpenFile> ctl_file(std::shared_ptr<Stack> stack, std::shared_ptr<Conv> conv);
std::unique_ptr<p9::OpenFile> data_file(std::shared_ptr<Conv> conv);

}  // namespace iohost::net
