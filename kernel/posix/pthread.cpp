// POSIX threads over the kernel's cooperative threads (kernel/sched). One vCPU, and a switch
// happens only where a thread blocks or yields, so the state below needs no atomics: between
// two of those points nothing else runs (interrupt handlers never touch it).
//
// Each pthread has a record: its kernel thread, its result, its thread-specific values and its
// own newlib reent, so errno (and strtok's state, rand's seed...) is per thread. The scheduler's
// resume hook points newlib's _impure_ptr at the running thread's reent; threads without a
// record (main, the kernel's own) share the global one. stdio streams stay shared: every
// reent's stdin/stdout/stderr are the global ones, guarded by newlib's locks (newlib_locks.cpp).
#include <pthread.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <reent.h>
#include "posix/deadline.h"
#include "sched/scheduler.h"
#include "xenos/thread.h"
#include "xenos/time.h"

extern "C" void __sinit(struct _reent*);  // newlib's stdio setup of a reent (findfp.c)

namespace {

using xenos::Scheduler;
using xenos::Thread;
using xenos::WaitQueue;

static_assert(sizeof(__xenos_wait_queue) == sizeof(WaitQueue) && alignof(__xenos_wait_queue) == alignof(WaitQueue),
              "pthread types embed a kernel WaitQueue");

constexpr size_t kDefaultStack = 256 * 1024;
constexpr size_t kMaxStack = 64 * 1024 * 1024;

struct Record {
  xenos::ThreadHandle handle;  // empty for main and for a detached thread
  Thread* thread = nullptr;
  void* (*start)(void*) = nullptr;
  void* argument = nullptr;
  void* result = nullptr;
  bool finished = false;
  bool detached = false;
  bool joining = false;  // someone waits in pthread_join: a second joiner gets EINVAL
  struct _reent* reent = nullptr;  // this thread's; nullptr: the global one
  struct _reent own_reent;
  struct Slot {
    const void* value = nullptr;
    unsigned generation = 0;  // the key's when the value was set: a deleted key's values are void
  } specific[PTHREAD_KEYS_MAX];
};

struct Key {
  bool used = false;
  unsigned generation = 0;  // grows with every create, so a reused key starts empty everywhere
  void (*destructor)(void*) = nullptr;
};
Key keys[PTHREAD_KEYS_MAX];

unsigned running_pthreads = 0;  // created and not finished
WaitQueue all_finished;         // main's pthread_exit waits here for running_pthreads == 0

WaitQueue& queue(__xenos_wait_queue& q) { return *reinterpret_cast<WaitQueue*>(&q); }
Record* record_of(pthread_t t) { return reinterpret_cast<Record*>(t); }

void no_stdio_cleanup(struct _reent*) {}  // the streams are the global reent's to flush

void resume(Thread* t) {
  auto* r = static_cast<Record*>(t->posix);
  _impure_ptr = r && r->reent ? r->reent : _global_impure_ptr;
}

// A thread that never came from pthread_create (main, or a kernel thread) gets its record the
// first time it asks: it keeps the global reent.
Record* current_record() {
  Thread* self = Scheduler::current();
  if (!self->posix) self->posix = new Record;
  auto* r = static_cast<Record*>(self->posix);
  r->thread = self;
  return r;
}

void run_destructors(Record* r) {
  for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; ++round) {
    bool any = false;
    for (unsigned k = 0; k < PTHREAD_KEYS_MAX; ++k) {
      Record::Slot& slot = r->specific[k];
      void* value = const_cast<void*>(slot.value);
      if (!value || !keys[k].used || slot.generation != keys[k].generation || !keys[k].destructor) continue;
      slot.value = nullptr;
      keys[k].destructor(value);
      any = true;
    }
    if (!any) return;
  }
}

void free_record(Record* r) {
  if (r->reent) _reclaim_reent(r->reent);  // never the running one: _impure_ptr is not it
  delete r;
}

// The thread's end, from a return or pthread_exit: after this only the stack remains, which
// the scheduler frees; the record stays for pthread_join unless the thread is detached.
void finish(Record* r, void* result) {
  run_destructors(r);
  r->result = result;
  r->finished = true;
  if (--running_pthreads == 0) all_finished.wake_all();
  _impure_ptr = _global_impure_ptr;
  r->thread->posix = nullptr;
  if (r->detached) free_record(r);
}

void trampoline(void* argument) {
  auto* r = static_cast<Record*>(argument);
  r->thread = Scheduler::current();
  r->thread->posix = r;
  _impure_ptr = r->reent;
  finish(r, r->start(r->argument));
}

// Deadlines in timespecs on CLOCK_REALTIME or CLOCK_MONOTONIC, as the kernel's monotonic ns.
int monotonic_deadline(clockid_t clock, const struct timespec* at, uint64_t* out) {
  if (!at) return EINVAL;
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return EINVAL;
  uint64_t now = xenos::monotonic_ns();
  if (now == 0) return ENOSYS;  // no clock: a deadline cannot be kept
  uint64_t clock_now = clock == CLOCK_REALTIME ? xenos::wall_clock_ns() : now;
  return posix::monotonic_deadline(at->tv_sec, at->tv_nsec, clock_now, now, out);
}

int lock_until(pthread_mutex_t* m, const uint64_t* deadline) {
  Thread* self = Scheduler::current();
  if (m->__owner == self) {
    if (m->__kind != PTHREAD_MUTEX_RECURSIVE) return EDEADLK;  // a normal one would hang forever
    if (m->__count == UINT32_MAX) return EAGAIN;
    ++m->__count;
    return 0;
  }
  while (m->__owner) {
    if (!deadline)
      queue(m->__waiters).wait();
    else if (!queue(m->__waiters).wait_until(*deadline) && m->__owner)
      return ETIMEDOUT;
  }
  m->__owner = self;
  m->__count = 1;
  return 0;
}

int cond_wait(pthread_cond_t* c, pthread_mutex_t* m, const uint64_t* deadline) {
  if (m->__owner != Scheduler::current()) return EPERM;
  unsigned held = m->__count;  // a recursive mutex is released and taken back whole
  m->__count = 0;
  m->__owner = nullptr;
  queue(m->__waiters).wake_one();  // makes it runnable; nothing runs before we block below
  bool woken = true;
  if (!deadline)
    queue(c->__waiters).wait();
  else
    woken = queue(c->__waiters).wait_until(*deadline);
  int r = lock_until(m, nullptr);
  if (r == 0) m->__count = held;
  return r != 0 ? r : woken ? 0 : ETIMEDOUT;
}

}  // namespace

extern "C" {

// ---- attributes ------------------------------------------------------------------------------

int pthread_attr_init(pthread_attr_t* a) {
  *a = {PTHREAD_CREATE_JOINABLE, kDefaultStack};
  return 0;
}
int pthread_attr_destroy(pthread_attr_t*) { return 0; }
int pthread_attr_setdetachstate(pthread_attr_t* a, int state) {
  if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED) return EINVAL;
  a->__detached = state;
  return 0;
}
int pthread_attr_getdetachstate(const pthread_attr_t* a, int* state) {
  *state = a->__detached;
  return 0;
}
int pthread_attr_setstacksize(pthread_attr_t* a, size_t size) {
  if (size < PTHREAD_STACK_MIN || size > kMaxStack) return EINVAL;
  a->__stack_size = size;
  return 0;
}
int pthread_attr_getstacksize(const pthread_attr_t* a, size_t* size) {
  *size = a->__stack_size;
  return 0;
}

// ---- threads ---------------------------------------------------------------------------------

int pthread_create(pthread_t* out, const pthread_attr_t* attr, void* (*start)(void*), void* argument) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  if (attr) a = *attr;
  __sinit(_global_impure_ptr);  // once: the streams every thread's reent will share
  auto* r = new Record;
  r->start = start;
  r->argument = argument;
  r->detached = a.__detached == PTHREAD_CREATE_DETACHED;
  _REENT_INIT_PTR(&r->own_reent);
  r->own_reent._stdin = _global_impure_ptr->_stdin;
  r->own_reent._stdout = _global_impure_ptr->_stdout;
  r->own_reent._stderr = _global_impure_ptr->_stderr;
  r->own_reent.__sdidinit = 1;  // stdio must not build this reent streams of its own
  r->own_reent.__cleanup = no_stdio_cleanup;
  r->reent = &r->own_reent;
  Scheduler::set_resume_hook(resume);
  auto handle = xenos::spawn("pthread", trampoline, r, a.__stack_size);
  if (!handle) {
    delete r;
    return EAGAIN;
  }
  ++running_pthreads;
  if (r->detached)
    handle->detach();
  else
    r->handle = std::move(*handle);
  *out = reinterpret_cast<pthread_t>(r);
  return 0;
}

int pthread_join(pthread_t t, void** result) {
  Record* r = record_of(t);
  if (!r) return ESRCH;
  if (r == Scheduler::current()->posix) return EDEADLK;
  if (r->detached || r->joining || !r->handle.joinable()) return EINVAL;
  r->joining = true;
  r->handle.join();  // returns once the thread has finished; its stack is gone then
  if (result) *result = r->result;
  free_record(r);
  return 0;
}

int pthread_detach(pthread_t t) {
  Record* r = record_of(t);
  if (!r) return ESRCH;
  if (r->detached || r->joining) return EINVAL;
  if (r->finished) {  // nobody will join: its record goes now
    r->handle.join();
    free_record(r);
    return 0;
  }
  r->detached = true;  // finish() frees it
  r->handle.detach();
  return 0;
}

void pthread_exit(void* result) {
  Record* r = current_record();
  if (!r->start) {  // main (or a kernel thread): the program ends when the last pthread has
    run_destructors(r);
    while (running_pthreads > 0) all_finished.wait();
    std::exit(0);
  }
  finish(r, result);
  Scheduler::exit_current();
}

pthread_t pthread_self(void) { return reinterpret_cast<pthread_t>(current_record()); }
int pthread_equal(pthread_t a, pthread_t b) { return a == b; }
int sched_yield(void) {
  xenos::yield();
  return 0;
}

// ---- mutexes ---------------------------------------------------------------------------------

int pthread_mutexattr_init(pthread_mutexattr_t* a) {
  a->__kind = PTHREAD_MUTEX_DEFAULT;
  return 0;
}
int pthread_mutexattr_destroy(pthread_mutexattr_t*) { return 0; }
int pthread_mutexattr_settype(pthread_mutexattr_t* a, int kind) {
  if (kind != PTHREAD_MUTEX_NORMAL && kind != PTHREAD_MUTEX_RECURSIVE && kind != PTHREAD_MUTEX_ERRORCHECK)
    return EINVAL;
  a->__kind = kind;
  return 0;
}
int pthread_mutexattr_gettype(const pthread_mutexattr_t* a, int* kind) {
  *kind = a->__kind;
  return 0;
}

int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* a) {
  *m = PTHREAD_MUTEX_INITIALIZER;
  if (a) m->__kind = a->__kind;
  return 0;
}
int pthread_mutex_destroy(pthread_mutex_t* m) {
  if (m->__owner || m->__waiters.__head) return EBUSY;
  return 0;
}
int pthread_mutex_lock(pthread_mutex_t* m) { return lock_until(m, nullptr); }
int pthread_mutex_trylock(pthread_mutex_t* m) {
  if (m->__owner && !(m->__owner == Scheduler::current() && m->__kind == PTHREAD_MUTEX_RECURSIVE))
    return EBUSY;
  return lock_until(m, nullptr);
}
int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* at) {
  uint64_t deadline;
  if (int e = monotonic_deadline(CLOCK_REALTIME, at, &deadline)) return e;
  return lock_until(m, &deadline);
}
int pthread_mutex_unlock(pthread_mutex_t* m) {
  if (m->__owner != Scheduler::current()) return EPERM;  // every kind: a wrong unlock is a bug
  if (--m->__count > 0) return 0;
  m->__owner = nullptr;
  queue(m->__waiters).wake_one();
  return 0;
}

// ---- condition variables ---------------------------------------------------------------------

int pthread_condattr_init(pthread_condattr_t* a) {
  a->__clock = 0;
  return 0;
}
int pthread_condattr_destroy(pthread_condattr_t*) { return 0; }
int pthread_condattr_setclock(pthread_condattr_t* a, clockid_t clock) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return EINVAL;
  a->__clock = clock == CLOCK_REALTIME ? 0 : int(clock);
  return 0;
}
int pthread_condattr_getclock(const pthread_condattr_t* a, clockid_t* clock) {
  *clock = a->__clock == 0 ? CLOCK_REALTIME : clockid_t(a->__clock);
  return 0;
}
int pthread_cond_init(pthread_cond_t* c, const pthread_condattr_t* a) {
  *c = PTHREAD_COND_INITIALIZER;
  if (a) c->__clock = a->__clock;
  return 0;
}
int pthread_cond_destroy(pthread_cond_t* c) { return c->__waiters.__head ? EBUSY : 0; }
int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) { return cond_wait(c, m, nullptr); }
int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const struct timespec* at) {
  uint64_t deadline;
  if (int e = monotonic_deadline(clock, at, &deadline)) return e;
  return cond_wait(c, m, &deadline);
}
int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* at) {
  return pthread_cond_clockwait(c, m, c->__clock == 0 ? CLOCK_REALTIME : clockid_t(c->__clock), at);
}
int pthread_cond_signal(pthread_cond_t* c) {
  queue(c->__waiters).wake_one();
  return 0;
}
int pthread_cond_broadcast(pthread_cond_t* c) {
  queue(c->__waiters).wake_all();
  return 0;
}

// ---- once and thread-specific data -----------------------------------------------------------

int pthread_once(pthread_once_t* once, void (*init)(void)) {
  static WaitQueue running;  // threads waiting for some init() to finish
  while (once->__state == 1) running.wait();  // another thread is in init(): it may block
  if (once->__state == 2) return 0;
  once->__state = 1;
  init();
  once->__state = 2;
  running.wake_all();
  return 0;
}

int pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  for (unsigned k = 0; k < PTHREAD_KEYS_MAX; ++k) {
    if (keys[k].used) continue;
    keys[k] = {true, keys[k].generation + 1, destructor};
    *key = k;
    return 0;
  }
  return EAGAIN;
}

int pthread_key_delete(pthread_key_t key) {
  if (key >= PTHREAD_KEYS_MAX || !keys[key].used) return EINVAL;
  keys[key].used = false;  // values left in threads are theirs to free; no destructor runs (POSIX)
  return 0;
}

void* pthread_getspecific(pthread_key_t key) {
  if (key >= PTHREAD_KEYS_MAX || !keys[key].used) return nullptr;
  const Record::Slot& slot = current_record()->specific[key];
  return slot.generation == keys[key].generation ? const_cast<void*>(slot.value) : nullptr;
}

int pthread_setspecific(pthread_key_t key, const void* value) {
  if (key >= PTHREAD_KEYS_MAX || !keys[key].used) return EINVAL;
  current_record()->specific[key] = {value, keys[key].generation};
  return 0;
}

}  // extern "C"
