// Readiness of file descriptors for requests that park (the net tree's sockets): a callback
// runs once, on the event loop's thread, when its descriptor is readable or writable (or has
// an error: the callback's own call then reports it). A request that still waits asks again.
// The reactor is an epoll set of its own; the event loop watches fd(), so trees need nothing
// else of the loop and tests can drive it alone.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <vector>
#include "fd.h"

namespace iohost {

class Reactor {
 public:
  using WaitId = uint64_t;
  enum class Want { kReadable, kWritable };

  Reactor();
  int fd() const { return epoll_.get(); }  // readable when some wait is ready: call dispatch()
  WaitId when_ready(int fd, Want want, std::function<void()> ready);
  void cancel(WaitId id);  // its callback will not run
  void forget(int fd);     // the descriptor is about to be closed: drop every wait on it
  void dispatch();         // runs the callbacks whose descriptors are ready
  size_t waiting() const;  // for tests and logs

 private:
  struct Waits {
    std::vector<std::pair<WaitId, std::function<void()>>> readers, writers;
    uint32_t registered = 0;  // the epoll events asked for now
  };
  void update(int fd, Waits& w);

  Fd epoll_;
  std::map<int, Waits> fds_;
  std::map<WaitId, int> fd_of_;
  WaitId next_id_ = 1;
};

}  // namespace iohost
