// Conversations (see net_conversation.h): address helpers and parking a request on a socket.
#include "net_conversation.h"
#include "numbers.h"
#include <arpa/inet.h>
#include <cstring>
#include <ctime>
#include <sys/random.h>
#include <unistd.h>

namespace iohost::net {

Error sys_error(const std::string& what) {
  return Error{errno, "net: " + what + ": " + std::strerror(errno)};
}

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
  std::optional<uint64_t> v = parse_decimal(text, 65535);
  if (!v) return false;
  *port = uint16_t(*v);
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

uint64_t first_stack_serial() {
  uint32_t r = 0;
  if (::getrandom(&r, sizeof r, 0) != sizeof r) r = uint32_t(::time(nullptr)) ^ uint32_t(::getpid());
  return (r & 0x7fffffff) | 1;  // below 2^31: serial << 32 stays clear of the top bit
}

std::vector<std::byte> bytes_of(const std::string& s) {
  auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

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

}  // namespace iohost::net
