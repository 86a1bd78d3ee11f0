// Cooperative threads: each has its own stack and runs until it waits, sleeps, yields or
// returns. One vCPU; a thread switch happens only at those points, never in the middle of code.
#pragma once
#include <cstddef>
#include <cstdint>
#include "xenos/result.h"

namespace xenos {

class Thread;
using ThreadFunction = void (*)(void* argument);

// A started thread. Joins on destruction (the thread must be able to finish); movable.
class ThreadHandle {
 public:
  ThreadHandle() = default;
  explicit ThreadHandle(Thread* thread) : thread_(thread) {}
  ThreadHandle(ThreadHandle&& other) : thread_(std::exchange(other.thread_, nullptr)) {}
  ThreadHandle& operator=(ThreadHandle&& other);
  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;
  ~ThreadHandle() { join(); }

  void join();    // waits for the thread to return, then frees its stack
  void detach();  // nobody will join: the thread frees itself when it returns
  bool joinable() const { return thread_ != nullptr; }

 private:
  Thread* thread_ = nullptr;
};

Result<ThreadHandle> spawn(const char* name, ThreadFunction function, void* argument,
                           size_t stack_bytes = 64 * 1024);
void yield();
const char* current_thread_name();

// Threads that wait for something another thread (or an event handler) will signal.
// Waiters re-check their condition after wake-up: wake_all may wake more than can proceed.
class WaitQueue {
 public:
  void wait();                            // blocks the current thread until woken
  bool wait_until(uint64_t deadline_ns);  // false if the deadline passed first
  void wake_one();
  void wake_all();  // safe from event-channel handlers
  bool empty() const { return head_ == nullptr; }

 private:
  friend class Scheduler;
  Thread* head_ = nullptr;
  Thread* tail_ = nullptr;
};

// A sleeping lock for threads (never for event handlers): the holder may block while holding it.
class Mutex {
 public:
  void lock();
  void unlock();
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

 private:
  bool locked_ = false;
  WaitQueue waiters_;
};

class LockGuard {
 public:
  explicit LockGuard(Mutex& m) : m_(m) { m_.lock(); }
  ~LockGuard() { m_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Mutex& m_;
};

}  // namespace xenos
