// Monotonic time from vcpu_time_info (pvclock), wall clock from shared_info, and the scheduler's
// timer device: VCPUOP_set_singleshot_timer arms it, Xen raises VIRQ_TIMER at the deadline.
#include "time.h"
#include "cpu.h"
#include "hypercalls.h"
#include "pvclock.h"
#include "sched/timers.h"
#include "shared_info.h"
#include "xenos/event_channel.h"
#include "xenos/time.h"

namespace xen {
namespace {

xenos::EventChannel* timer_channel;
ClockBehind behind;

// Kept out of the read loop's arithmetic: only a TSC behind the stamp costs anything.
void note_behind(uint64_t tsc, uint64_t stamp, uint64_t system_time, uint32_t mul, int8_t shift) {
  uint64_t lag_ns = pvclock_scale(stamp - tsc, mul, shift);
  if (lag_ns < 1'000'000) return;  // a hair behind is a read racing Xen's update
  ++behind.reads;
  if (lag_ns > behind.worst_ns) behind = {behind.reads, lag_ns, tsc, stamp, system_time};
}

void arm_singleshot(uint64_t deadline_ns) {
  vcpu_set_singleshot_timer_t t{};
  t.timeout_abs_ns = deadline_ns;
  t.flags = 0;  // a deadline already past fires at once
  vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
}

void on_timer(uint32_t, void*) { xenos::expire_timers(); }

constexpr xenos::TimerDevice kSingleshotTimer{xenos::monotonic_ns, arm_singleshot};

}  // namespace

ClockBehind clock_behind() { return behind; }

xenos::Result<void> time_init() {
  auto channel = xenos::EventChannel::bind_virq(VIRQ_TIMER, on_timer, nullptr);
  if (!channel) return channel.error();
  timer_channel = new xenos::EventChannel(std::move(*channel));
  xenos::set_timer_device(&kSingleshotTimer);
  return {};
}

}  // namespace xen

namespace xenos {

uint64_t monotonic_ns() {
  if (!xen::shared()) return 0;
  const volatile vcpu_time_info& ti = xen::vcpu0()->time;
  uint32_t version;
  uint64_t ns, tsc, stamp, system_time;
  uint32_t mul;
  int8_t shift;
  do {  // an odd version means Xen is updating the record
    version = ti.version;
    xen_rmb();  // the version before the record, the record before the version again
    tsc = arch::rdtsc();
    stamp = ti.tsc_timestamp;
    mul = ti.tsc_to_system_mul;
    shift = ti.tsc_shift;
    system_time = ti.system_time;
    ns = xen::pvclock_ns(tsc, stamp, system_time, mul, shift);
    xen_rmb();
  } while ((version & 1) || version != ti.version);
  if (int64_t(tsc - stamp) < 0) [[unlikely]] xen::note_behind(tsc, stamp, system_time, mul, shift);
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

}  // namespace xenos
