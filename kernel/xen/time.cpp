// Monotonic time from vcpu_time_info (pvclock), wall clock from shared_info, and sleeping
// threads woken by VIRQ_TIMER, which Xen raises at the deadline VCPUOP_set_singleshot_timer set.
#include "time.h"
#include <cerrno>
#include "context.h"
#include "cpu.h"
#include "hypercalls.h"
#include "pvclock.h"
#include "sched/scheduler.h"
#include "shared_info.h"
#include "xenos/event_channel.h"
#include "xenos/time.h"

namespace xen {
namespace {

xenos::EventChannel* timer_channel;
xenos::Thread* timers = nullptr;  // sorted by deadline

void program_next_deadline() {  // interrupts off
  if (!timers) return;
  vcpu_set_singleshot_timer_t t{};
  t.timeout_abs_ns = timers->deadline_ns;
  t.flags = 0;  // a deadline already past fires at once
  vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
}

void on_timer(uint32_t, void*) {
  uint64_t now = xenos::monotonic_ns();
  while (timers && timers->deadline_ns <= now) {
    xenos::Thread* t = timers;
    timers = t->timer_next;
    t->timer_next = nullptr;
    t->deadline_ns = 0;
    t->timed_out = true;
    if (t->waiting_on) xenos::Scheduler::remove(*t->waiting_on, t);
    xenos::Scheduler::make_runnable(t);
  }
  program_next_deadline();
}

}  // namespace

xenos::Result<void> time_init() {
  auto channel = xenos::EventChannel::bind_virq(VIRQ_TIMER, on_timer, nullptr);
  if (!channel) return channel.error();
  timer_channel = new xenos::EventChannel(std::move(*channel));
  return {};
}

}  // namespace xen

namespace xenos {

void timer_add(Thread* t, uint64_t deadline_ns) {  // interrupts off
  t->deadline_ns = deadline_ns;
  Thread** link = &xen::timers;
  while (*link && (*link)->deadline_ns <= deadline_ns) link = &(*link)->timer_next;
  t->timer_next = *link;
  *link = t;
  if (xen::timers == t) xen::program_next_deadline();
}

void timer_remove(Thread* t) {  // interrupts off
  for (Thread** link = &xen::timers; *link; link = &(*link)->timer_next) {
    if (*link == t) {
      *link = t->timer_next;
      t->timer_next = nullptr;
      t->deadline_ns = 0;
      return;
    }
  }
}

uint64_t monotonic_ns() {
  if (!xen::shared()) return 0;
  const volatile vcpu_time_info& ti = xen::vcpu0()->time;
  uint32_t version;
  uint64_t ns;
  do {  // an odd version means Xen is updating the record
    version = ti.version;
    xen_rmb();  // the version before the record, the record before the version again
    ns = xen::pvclock_ns(arch::rdtsc(), ti.tsc_timestamp, ti.system_time, ti.tsc_to_system_mul, ti.tsc_shift);
    xen_rmb();
  } while ((version & 1) || version != ti.version);
  return ns;
}

uint64_t wall_clock_ns() {
  shared_info* s = xen::shared();
  if (!s) return 0;
  uint32_t version;
  uint64_t sec, nsec;
  do {
    version = s->wc_version;
    xen_rmb();
    sec = (uint64_t(s->xen_wc_sec_hi) << 32) | s->wc_sec;
    nsec = s->wc_nsec;
    xen_rmb();
  } while ((version & 1) || version != s->wc_version);
  return sec * 1000000000ull + nsec + monotonic_ns();
}

void sleep_ns(uint64_t duration) {
  if (!xen::timer_channel) return;  // no Xen, no timer: nothing can wake a sleeper
  arch::InterruptGuard guard;
  Thread* self = Scheduler::current();
  timer_add(self, monotonic_ns() + duration);
  while (self->deadline_ns != 0) Scheduler::block_current();
}

}  // namespace xenos
