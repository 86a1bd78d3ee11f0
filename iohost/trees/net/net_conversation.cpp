// Conversations (see net_conversation.h): address helpers and parking a request on a socket.
#include "net_conversation.h"
#include "common/decimal.h"
#include <arpa/inet.h>
#include <cstring>
#include <ctime>
#include <sys/random.h>
#include <unistd.h>

namespace iohost::net {

Error sys_error(const std::string& what) {
  return Error{errno, "net: " + what + ": " + std::strerror(errno)};
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
