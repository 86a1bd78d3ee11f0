// lib9p's Sync for host programs: a std::mutex and a std::condition_variable.
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include "p9/transport.h"

namespace p9 {

class ThreadSync final : public Sync {
 public:
  void lock() override { mutex_.lock(); }
  void unlock() override { mutex_.unlock(); }
  void wait() override {
    std::unique_lock<std::mutex> l(mutex_, std::adopt_lock);
    cv_.wait(l);
    l.release();
  }
  bool wait_until(uint64_t deadline_ns) override {
    std::unique_lock<std::mutex> l(mutex_, std::adopt_lock);
    auto deadline = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns));
    bool woken = cv_.wait_until(l, deadline) == std::cv_status::no_timeout;
    l.release();
    return woken;
  }
  void wake_all() override { cv_.notify_all(); }
  uint64_t now_ns() override {
    return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count());
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace p9
