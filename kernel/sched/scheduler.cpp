// Run queue, blocking, waking, thread creation and exit. One vCPU: a switch happens only when
// the running thread blocks or yields. With nothing to run, the blocking thread waits for an
// interrupt (an event channel upcall) right where it is, so there is no idle thread.
#include "sched/scheduler.h"
#include <cerrno>
#include "context.h"
#include "memory/memory.h"
#include "panic.h"
#include "sched/timers.h"
#include "thread_stack.h"

namespace xenos {
namespace {

constexpr uint64_t kStackCanary = 0x5354414b43414e59;  // "STAKCANY"
Thread boot_thread;
Thread* current_thread = nullptr;
Thread* run_head = nullptr;
Thread* run_tail = nullptr;
Thread* finished_thread = nullptr;  // its stack is freed by whoever runs next
void (*resume_hook)(Thread*) = nullptr;

}  // namespace

static void check_stack(const Thread* t) {
  if (t->stack_frames != 0 && *reinterpret_cast<const uint64_t*>(t->stack_base) != kStackCanary)
    kernel::panic("stack overflow in thread %s", t->name);
}

static Thread* pop_runnable() {
  Thread* t = run_head;
  if (t) {
    run_head = t->next;
    if (!run_head) run_tail = nullptr;
    t->next = nullptr;
  }
  return t;
}

// A finished thread's stack can go once we stand on another one; its Thread object stays for
// the joiner, which frees it.
void reap_finished() {  // interrupts off
  if (finished_thread && finished_thread != current_thread) {
    kernel::free_pages(reinterpret_cast<void*>(finished_thread->stack_base), finished_thread->stack_frames);
    finished_thread->stack_frames = 0;
    if (finished_thread->detached) delete finished_thread;
    finished_thread = nullptr;
  }
}

namespace {

void switch_to_next() {  // interrupts off; current is no longer running
  Thread* previous = current_thread;
  Thread* next;
  while ((next = pop_runnable()) == nullptr) arch::wait_for_interrupt();
  check_stack(previous);
  next->state = Thread::State::kRunning;
  current_thread = next;
  if (next != previous) {
    arch_switch_context(&previous->saved_rsp, next->saved_rsp);
    if (resume_hook) resume_hook(current_thread);  // back on previous's stack: it resumes
  }
  reap_finished();
}

}  // namespace

void Scheduler::init() {
  boot_thread.name = "main";
  boot_thread.state = Thread::State::kRunning;
  current_thread = &boot_thread;
}

Thread* Scheduler::current() { return current_thread; }

void Scheduler::set_resume_hook(void (*hook)(Thread*)) { resume_hook = hook; }

void Scheduler::make_runnable(Thread* t) {
  if (t->state == Thread::State::kRunnable || t->state == Thread::State::kRunning) return;
  t->state = Thread::State::kRunnable;
  t->next = nullptr;
  if (run_tail)
    run_tail->next = t;
  else
    run_head = t;
  run_tail = t;
}

void Scheduler::block_current() {
  current_thread->state = Thread::State::kBlocked;
  switch_to_next();
}

void Scheduler::enqueue(WaitQueue& q, Thread* t) {
  t->next = nullptr;
  t->waiting_on = &q;
  if (q.tail_)
    q.tail_->next = t;
  else
    q.head_ = t;
  q.tail_ = t;
}

Thread* Scheduler::dequeue(WaitQueue& q) {
  Thread* t = q.head_;
  if (!t) return nullptr;
  q.head_ = t->next;
  if (!q.head_) q.tail_ = nullptr;
  t->next = nullptr;
  t->waiting_on = nullptr;
  return t;
}

bool Scheduler::remove(WaitQueue& q, Thread* t) {
  Thread* previous = nullptr;
  for (Thread* p = q.head_; p; previous = p, p = p->next) {
    if (p != t) continue;
    if (previous)
      previous->next = p->next;
    else
      q.head_ = p->next;
    if (q.tail_ == p) q.tail_ = previous;
    p->next = nullptr;
    p->waiting_on = nullptr;
    return true;
  }
  return false;
}

void Scheduler::exit_current() {
  arch::disable_interrupts();
  Thread* self = current_thread;
  self->state = Thread::State::kFinished;
  while (Thread* j = dequeue(self->joiners)) make_runnable(j);
  finished_thread = self;
  switch_to_next();
  kernel::panic("finished thread %s was scheduled again", self->name);
}

// ---- public API (xenos/thread.h) ------------------------------------------------------------

Result<ThreadHandle> spawn(const char* name, ThreadFunction function, void* argument, size_t stack_bytes) {
  size_t frames = (stack_bytes + kernel::kPageSize - 1) / kernel::kPageSize;
  void* stack = kernel::allocate_pages(frames);
  if (!stack) return Error{ENOMEM, "spawn: no memory for the thread's stack"};
  auto* t = new Thread;
  t->name = name;
  t->function = function;
  t->argument = argument;
  t->stack_base = reinterpret_cast<uint64_t>(stack);
  t->stack_frames = frames;
  *reinterpret_cast<uint64_t*>(t->stack_base) = kStackCanary;
  t->saved_rsp = arch::initial_thread_stack(t->stack_base + frames * kernel::kPageSize);
  t->state = Thread::State::kBlocked;
  arch::InterruptGuard guard;
  Scheduler::make_runnable(t);
  return ThreadHandle(t);
}

void yield() {
  arch::InterruptGuard guard;
  Thread* self = Scheduler::current();
  if (!run_head) return;
  self->state = Thread::State::kBlocked;
  Scheduler::make_runnable(self);  // to the back of the queue
  switch_to_next();
}

const char* current_thread_name() { return Scheduler::current()->name; }

ThreadHandle& ThreadHandle::operator=(ThreadHandle&& other) {
  if (this != &other) {
    join();
    thread_ = std::exchange(other.thread_, nullptr);
  }
  return *this;
}

void ThreadHandle::join() {
  if (!thread_) return;
  {
    arch::InterruptGuard guard;
    while (thread_->state != Thread::State::kFinished) {
      Scheduler::enqueue(thread_->joiners, Scheduler::current());
      Scheduler::block_current();
    }
    reap_finished();
  }
  delete thread_;
  thread_ = nullptr;
}

void ThreadHandle::detach() {
  if (!thread_) return;
  {
    arch::InterruptGuard guard;
    if (thread_->state != Thread::State::kFinished) {
      thread_->detached = true;  // reap_finished() frees it
      thread_ = nullptr;
      return;
    }
    reap_finished();
  }
  delete thread_;
  thread_ = nullptr;
}

void WaitQueue::wait() {
  arch::InterruptGuard guard;
  Scheduler::enqueue(*this, Scheduler::current());
  Scheduler::block_current();
}

bool WaitQueue::wait_until(uint64_t deadline_ns) {
  arch::InterruptGuard guard;
  Thread* self = Scheduler::current();
  self->timed_out = false;
  Scheduler::enqueue(*this, self);
  timer_add(self, deadline_ns);
  Scheduler::block_current();
  timer_remove(self);
  if (self->timed_out) Scheduler::remove(*this, self);
  return !self->timed_out;
}

void WaitQueue::wake_one() {
  arch::InterruptGuard guard;
  if (Thread* t = Scheduler::dequeue(*this)) Scheduler::make_runnable(t);
}

void WaitQueue::wake_all() {
  arch::InterruptGuard guard;
  while (Thread* t = Scheduler::dequeue(*this)) Scheduler::make_runnable(t);
}

void Mutex::lock() {
  arch::InterruptGuard guard;
  while (locked_) waiters_.wait();
  locked_ = true;
}

void Mutex::unlock() {
  arch::InterruptGuard guard;
  locked_ = false;
  waiters_.wake_one();
}

}  // namespace xenos

extern "C" [[noreturn]] void kernel_thread_entry() {
  xenos::Thread* self = xenos::Scheduler::current();
  xenos::reap_finished();
  if (xenos::resume_hook) xenos::resume_hook(self);
  arch::enable_interrupts();
  self->function(self->argument);
  xenos::Scheduler::exit_current();
}
