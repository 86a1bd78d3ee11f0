// The worker pool (see worker_pool.h).
#include "worker_pool.h"
#include <sys/eventfd.h>
#include <cstdint>
#include <exception>
#include <string>
#include "log.h"

namespace iohost {

WorkerPool::WorkerPool(size_t threads)
    : per_owner_(threads / 2 > 0 ? threads / 2 : 1), wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
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
  run_for(nullptr, std::move(work), std::move(done));
}

void WorkerPool::run_for(const void* owner, std::function<void()> work, std::function<void()> done) {
  {
    std::lock_guard<std::mutex> l(mutex_);
    Owner& o = owners_[owner];
    if (o.queue.empty()) turns_.push_back(owner);
    o.queue.push_back(Item{std::move(work), std::move(done)});
  }
  more_work_.notify_one();
}

// The first owner in turn that may run one more: its oldest item. It goes to the back of the
// turns if it has more, so owners alternate.
bool WorkerPool::take(Item* item, const void** owner) {
  for (auto it = turns_.begin(); it != turns_.end(); ++it) {
    Owner& o = owners_[*it];
    if (o.running >= per_owner_) continue;
    *owner = *it;
    *item = std::move(o.queue.front());
    o.queue.pop_front();
    ++o.running;
    turns_.erase(it);
    if (!o.queue.empty()) turns_.push_back(*owner);
    return true;
  }
  return false;
}

void WorkerPool::worker() {
  for (;;) {
    Item item;
    const void* owner = nullptr;
    {
      std::unique_lock<std::mutex> l(mutex_);
      more_work_.wait(l, [&] { return take(&item, &owner) || (stopping_ && turns_.empty()); });
      if (!item.work) return;  // stopping, and nothing left to do
    }
    // A tree that throws fails this request (the Session answers EIO for work that made no
    // reply), never the process.
    try {
      item.work();
    } catch (const std::exception& e) {
      log_line(std::string("a request failed on a worker: ") + e.what());
    } catch (...) {
      log_line("a request failed on a worker");
    }
    item.work = nullptr;  // whatever it held is let go of here, on the worker
    bool more = false;
    {
      std::lock_guard<std::mutex> l(mutex_);
      Owner& o = owners_[owner];
      --o.running;
      more = !o.queue.empty();
      if (o.queue.empty() && o.running == 0) owners_.erase(owner);
      finished_.push_back(std::move(item.done));
    }
    if (more) more_work_.notify_one();  // it may have waited for this owner's slot
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
