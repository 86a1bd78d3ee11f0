// The Executor iohost gives its sessions: a few threads for trees whose calls block (import
// waits for another server, cs waits for DNS). Work runs on a worker; its `done` is queued for
// the event loop, which an eventfd wakes, so sessions are only ever touched by the loop's
// thread. The pool is shared by every client, so it is fair: each client (run_for's owner) has
// its own queue, the queues are served in turn, and one client runs on at most half the
// threads at once. A client whose every request waits 10 s on a lock or a dead server slows
// itself, and leaves the other half of the pool to everyone else.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>
#include "fd.h"
#include "p9/server.h"

namespace iohost {

class WorkerPool final : public p9::Executor {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool() override;
  void run(std::function<void()> work, std::function<void()> done) override;
  void run_for(const void* owner, std::function<void()> work, std::function<void()> done) override;
  int wake_fd() const { return wake_.get(); }  // readable when finished work waits
  void run_finished();                         // on the loop's thread: every waiting `done`
  size_t per_owner_limit() const { return per_owner_; }

 private:
  struct Item {
    std::function<void()> work, done;
  };
  struct Owner {
    std::deque<Item> queue;
    size_t running = 0;
  };
  void worker();
  bool take(Item* item, const void** owner);  // with mutex_ held
  std::mutex mutex_;
  std::condition_variable more_work_;
  std::map<const void*, Owner> owners_;
  std::deque<const void*> turns_;  // owners with queued work, in the order they are served
  size_t per_owner_;
  std::deque<std::function<void()>> finished_;
  bool stopping_ = false;
  Fd wake_;
  std::vector<std::thread> threads_;
};

}  // namespace iohost
