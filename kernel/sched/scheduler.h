// The scheduler's internals: threads, the run queue, blocking and waking. Interrupt handlers
// may wake threads; everything that touches the queues runs with interrupts off.
#pragma once
#include <cstddef>
#include <cstdint>
#include "xenos/thread.h"

namespace xenos {

class Thread {
 public:
  enum class State { kRunnable, kRunning, kBlocked, kFinished };

  const char* name = "";
  State state = State::kRunnable;
  uint64_t saved_rsp = 0;
  uint64_t stack_base = 0;  // lowest address; a canary lives there
  size_t stack_frames = 0;  // 0 for the boot thread (its stack is in the image)
  ThreadFunction function = nullptr;
  void* argument = nullptr;
  Thread* next = nullptr;  // link in the run queue or one wait queue
  WaitQueue* waiting_on = nullptr;
  uint64_t deadline_ns = 0;  // when sleeping or waiting with a timeout; 0 = none
  Thread* timer_next = nullptr;
  bool timed_out = false;
  WaitQueue joiners;
  bool detached = false;  // nobody joins: freed when it has finished
  void* posix = nullptr;  // the POSIX layer's record of it (kernel/posix/pthread.cpp), if any
};

class Scheduler {
 public:
  static void init();  // the boot context becomes thread "main"
  static Thread* current();
  static void make_runnable(Thread* t);  // interrupts must be off
  static void block_current();           // interrupts must be off; returns when woken
  static void enqueue(WaitQueue& q, Thread* t);
  static Thread* dequeue(WaitQueue& q);
  static bool remove(WaitQueue& q, Thread* t);
  [[noreturn]] static void exit_current();
  // Called on the thread's own stack each time a thread starts or resumes running: the POSIX
  // layer points newlib's per-thread state (errno) at the thread's own. nullptr: none.
  static void set_resume_hook(void (*hook)(Thread* resumed));
};

}  // namespace xenos
