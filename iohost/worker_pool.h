// The Executor iohost gives its sessions: a few threads for trees whose calls block (import
// waits for another server). Work runs on a worker; its `done` is queued for the event loop,
// which an eventfd wakes, so sessions are only ever touched by the loop's thread.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
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
  int wake_fd() const { return wake_.get(); }  // readable when finished work waits
  void run_finished();                         // on the loop's thread: every waiting `done`

 private:
  void worker();
  std::mutex mutex_;
  std::condition_variable more_work_;
  std::deque<std::pair<std::function<void()>, std::function<void()>>> queue_;
  std::deque<std::function<void()>> finished_;
  bool stopping_ = false;
  Fd wake_;
  std::vector<std::thread> threads_;
};

}  // namespace iohost
