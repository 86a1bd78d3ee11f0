// The timer queue (a sorted singly linked list through Thread::timer_next: a guest has a
// handful of sleepers, and the earliest is always at the head) and sleeping.
#include "sched/timers.h"
#include "context.h"
#include "sched/scheduler.h"
#include "xenos/time.h"

namespace xenos {

void TimerQueue::add(Thread* t, uint64_t deadline_ns) {
  t->deadline_ns = deadline_ns;
  Thread** link = &head_;
  while (*link && (*link)->deadline_ns <= deadline_ns) link = &(*link)->timer_next;
  t->timer_next = *link;
  *link = t;
}

void TimerQueue::remove(Thread* t) {
  for (Thread** link = &head_; *link; link = &(*link)->timer_next) {
    if (*link == t) {
      *link = t->timer_next;
      t->timer_next = nullptr;
      t->deadline_ns = 0;
      return;
    }
  }
}

Thread* TimerQueue::pop_due(uint64_t now_ns) {
  Thread* t = head_;
  if (!t || t->deadline_ns > now_ns) return nullptr;
  head_ = t->timer_next;
  t->timer_next = nullptr;
  t->deadline_ns = 0;
  return t;
}

uint64_t TimerQueue::earliest_ns() const { return head_ ? head_->deadline_ns : 0; }

namespace {

TimerQueue timers;
const TimerDevice* device = nullptr;

void arm_earliest() {
  if (device && !timers.empty()) device->arm(timers.earliest_ns());
}

}  // namespace

void set_timer_device(const TimerDevice* d) { device = d; }
bool timer_device_present() { return device != nullptr; }

void timer_add(Thread* t, uint64_t deadline_ns) {
  timers.add(t, deadline_ns);
  if (timers.earliest_ns() == deadline_ns) arm_earliest();
}

void timer_remove(Thread* t) { timers.remove(t); }

void expire_timers() {
  if (!device) return;
  uint64_t now = device->now_ns();
  while (Thread* t = timers.pop_due(now)) {
    t->timed_out = true;
    if (t->waiting_on) Scheduler::remove(*t->waiting_on, t);
    Scheduler::make_runnable(t);
  }
  arm_earliest();
}

void sleep_ns(uint64_t duration) {
  if (!device) return;  // no timer (bare QEMU): nothing could wake a sleeper; nanosleep says ENOSYS
  arch::InterruptGuard guard;
  Thread* self = Scheduler::current();
  self->timed_out = false;
  timer_add(self, device->now_ns() + duration);
  while (!self->timed_out) Scheduler::block_current();
}

}  // namespace xenos
