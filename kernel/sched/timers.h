// Threads that wait for a deadline (sleep_ns, WaitQueue::wait_until), earliest first, and the
// platform's one-shot timer that wakes them. The queue is the scheduler's; the timer is the
// platform's (xen/time.cpp: pvclock and VCPUOP_set_singleshot_timer), registered at boot, so
// the scheduler and the queue build and run on the host with a fake timer.
#pragma once
#include <cstdint>

namespace xenos {

class Thread;

class TimerQueue {
 public:
  void add(Thread* t, uint64_t deadline_ns);  // after the threads with the same deadline
  void remove(Thread* t);                     // no effect if t is not queued
  Thread* pop_due(uint64_t now_ns);           // the earliest thread due by now_ns, or nullptr
  uint64_t earliest_ns() const;               // 0 when empty
  bool empty() const { return head_ == nullptr; }

 private:
  Thread* head_ = nullptr;
};

// A one-shot timer: `arm` asks for one interrupt at (or soon after) the absolute deadline, the
// interrupt handler calls expire_timers(). Arming again replaces the previous deadline.
struct TimerDevice {
  uint64_t (*now_ns)();
  void (*arm)(uint64_t deadline_ns);
};

void set_timer_device(const TimerDevice* device);  // nullptr: none (sleeping returns at once)
bool timer_device_present();

// Interrupts off for all three.
void timer_add(Thread* t, uint64_t deadline_ns);
void timer_remove(Thread* t);
void expire_timers();  // the timer interrupt: wakes every thread that is due, arms the next

}  // namespace xenos
