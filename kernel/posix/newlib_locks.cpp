// newlib's retargetable locks, as sleeping locks over the scheduler. Threads are cooperative,
// but a thread can block inside newlib (a printf whose write waits for the console ring, an
// fread waiting on 9P), and another thread must not then walk into the same FILE or malloc's
// lists. newlib needs every one of these symbols, or it links its own lock.o and clashes.
// Before the scheduler starts there is one context, and a lock is simply taken.
#include <cstdlib>
#include "sched/scheduler.h"
#include "xenos/thread.h"

struct __lock {
  xenos::Thread* owner;
  unsigned count;  // how often the owner holds it (recursive locks); 0 when free
  xenos::WaitQueue waiters;
};
using _LOCK_T = struct __lock*;

namespace {

void acquire(_LOCK_T lock, bool recursive) {
  if (!lock) return;  // a FILE whose lock was never made (newlib's static std streams before sinit)
  xenos::Thread* self = xenos::Scheduler::current();
  if (lock->count > 0 && lock->owner == self && recursive) {
    ++lock->count;
    return;
  }
  while (lock->count > 0) lock->waiters.wait();
  lock->owner = self;
  lock->count = 1;
}

bool try_acquire(_LOCK_T lock, bool recursive) {
  if (!lock) return true;
  if (lock->count > 0 && !(recursive && lock->owner == xenos::Scheduler::current())) return false;
  acquire(lock, recursive);
  return true;
}

void release(_LOCK_T lock) {
  if (!lock || lock->count == 0) return;
  if (--lock->count == 0) {
    lock->owner = nullptr;
    lock->waiters.wake_one();
  }
}

// malloc, not new: C apps link no C++ runtime. nullptr (no memory) leaves the stream unguarded.
void make(_LOCK_T* lock) { *lock = static_cast<_LOCK_T>(std::calloc(1, sizeof(__lock))); }

}  // namespace

extern "C" {
struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex, __lock___atexit_recursive_mutex,
    __lock___at_quick_exit_mutex, __lock___malloc_recursive_mutex, __lock___env_recursive_mutex,
    __lock___tz_mutex, __lock___dd_hash_mutex, __lock___arc4random_mutex;

void __retarget_lock_init(_LOCK_T* lock) { make(lock); }
void __retarget_lock_init_recursive(_LOCK_T* lock) { make(lock); }
void __retarget_lock_close(_LOCK_T lock) { std::free(lock); }
void __retarget_lock_close_recursive(_LOCK_T lock) { std::free(lock); }
void __retarget_lock_acquire(_LOCK_T lock) { acquire(lock, false); }
void __retarget_lock_acquire_recursive(_LOCK_T lock) { acquire(lock, true); }
int __retarget_lock_try_acquire(_LOCK_T lock) { return try_acquire(lock, false); }
int __retarget_lock_try_acquire_recursive(_LOCK_T lock) { return try_acquire(lock, true); }
void __retarget_lock_release(_LOCK_T lock) { release(lock); }
void __retarget_lock_release_recursive(_LOCK_T lock) { release(lock); }
}
