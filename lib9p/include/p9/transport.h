// What lib9p needs from the world: a way to move whole 9P messages (Transport) and a way for
// threads to wait for each other (Sync). The host gives sockets and std::mutex; the guest gives
// Xen rings and wait queues. Nothing here knows which.
#pragma once
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>
#include "p9/error.h"

namespace p9 {

class Transport {
 public:
  virtual ~Transport() = default;
  // The largest message the medium carries; the client's msize never exceeds it.
  virtual size_t max_message_size() const = 0;
  // Sends one whole message (framed by its size[4]). Safe to call from several threads.
  // `lane` is the request's tag, given beside the message so that a medium with several
  // channels can pick one without reading 9P fields (Xen 9pfs rings: QEMU's backend answers a
  // request on ring tag % rings, so the frontend sends it there); one channel ignores it.
  virtual Result<void> send(std::span<const std::byte> message, uint16_t lane) = 0;
  // Blocks until the next whole message arrives, or until `deadline_ns` (Sync::now_ns()
  // time; 0: none) passes with no message begun: then ETIMEDOUT, and the stream is intact.
  // The client calls it from one thread at a time; replies may come in any order.
  virtual Result<std::vector<std::byte>> receive(uint64_t deadline_ns) = 0;
  // After send or receive failed: replaces the broken connection with a new one to the same
  // server (or its successor), ready for Tversion, waiting until `deadline_ns` at most. The
  // client calls it with no other call inside the transport. Transports that cannot say so.
  virtual Result<void> reconnect(uint64_t /*deadline_ns*/) {
    return Error{EOPNOTSUPP, "this transport cannot reconnect"};
  }
  // The client has given up on this connection (its server stopped answering): a send or
  // receive blocked in it, or made later, fails instead of waiting, until reconnect().
  virtual void abandon() {}
};

// A monitor: lock, wait (releasing the lock while asleep), wake everyone waiting.
class Sync {
 public:
  virtual ~Sync() = default;
  virtual void lock() = 0;
  virtual void unlock() = 0;
  virtual void wait() = 0;                            // called with the lock held
  virtual bool wait_until(uint64_t deadline_ns) = 0;  // false on timeout; lock held
  virtual void wake_all() = 0;
  virtual uint64_t now_ns() = 0;  // monotonic
};

}  // namespace p9
