// The worker pool (see worker_pool.h).
#include "worker_pool.h"
#include <sys/eventfd.h>
#include <cstdint>

namespace iohost {

WorkerPool::WorkerPool(size_t threads) : wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { worker(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> l(mutex_);
    stopping_ = true;
  }
  more_work_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::run(std::function<void()> work, std::function<void()> done) {
  {
    std::lock_guard<std::mutex> l(mutex_);
    queue_.emplace_back(std::move(work), std::move(done));
  }
  more_work_.notify_one();
}

void WorkerPool::worker() {
  for (;;) {
    std::function<void()> work, done;
    {
      std::unique_lock<std::mutex> l(mutex_);
      more_work_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to do
      work = std::move(queue_.front().first);
      done = std::move(queue_.front().second);
      queue_.pop_front();
    }
    work();
    work = nullptr;  // whatever it held is let go of here, on the worker
    {
      std::lock_guard<std::mutex> l(mutex_);
      finished_.push_back(std::move(done));
    }
    uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
  }
}

void WorkerPool::run_finished() {
  uint64_t count;
  (void)!::read(wake_.get(), &count, sizeof count);
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> l(mutex_);
    batch.swap(finished_);
  }
  for (auto& done : batch) done();
}

}  // namespace iohost
