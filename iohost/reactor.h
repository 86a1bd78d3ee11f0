// Readiness of file descriptors for requests that park (the net tree's sockets): a callback
// runs once, on the event loop's thread, when its descriptor is readable or writable (or has
// an error: the callback's own call then reports it). A request that still waits asks again.
// Timers too (a blocking lock that asks again later): one timerfd for all of them.
// The reactor is an epoll set of its own; the event loop watches fd(), so trees need nothing
// else of the loop and tests can drive it alone.
#pragma once
#include <cstdint>
#include <cstddef>
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
  // Runs `due` once, on the loop's thread, `delay_ns` from now.
  WaitId after(uint64_t delay_ns, std::function<void()> due);
  void cancel(WaitId id);  // its callback will not run (a wait or a timer)
  void forget(int fd);     // the descriptor is about to be closed: drop every wait on it
  void dispatch();         // runs the callbacks whose descriptors are ready
  size_t waiting() const;  // for tests and logs

 private:
  struct Waits {
    std::vector<std::pair<WaitId, std::function<void()>>> readers, writers;
    uint32_t registered = 0;  // the epoll events asked for now
  };
  void update(int fd, Waits& w);
  void arm_timer();
  void run_due_timers(std::vector<std::function<void()>>* ready);

  Fd epoll_;
  Fd timer_;
  std::multimap<uint64_t, std::pair<WaitId, std::function<void()>>> timers_;  // by deadline (ns)
  std::map<int, Waits> fds_;
  std::map<WaitId, int> fd_of_;
  WaitId next_id_ = 1;
};

}  // namespace iohost
