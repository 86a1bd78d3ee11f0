// Threads waiting on a shared ring for the peer's events, and the re-check that keeps a lost
// event from turning into a stall. On Xen in QEMU (PVH) a xenstore reply once sat in its ring
// with no upcall until the next timer interrupt (issue 15), so a waiter looks at its ring again
// every kRecheckNs even without an event. What such a look finds is counted and the first few
// are logged, so a lost event shows in the log instead of as a stall. xenstore's ring and each
// 9pfs share wait through one of these.
#pragma once
#include <cstdint>
#include "xenos/thread.h"

namespace xen {

class RingWaiters {
 public:
  static constexpr uint64_t kRecheckNs = 250'000'000ull;

  // The ring's event handler (interrupt context): counts the event and wakes every waiter.
  void on_event() {
    ++events_;
    queue_.wake_all();
  }
  // Wakes every waiter without an event (the ring broke; the connection is closing).
  void wake_all() { queue_.wake_all(); }
  uint64_t events() const { return events_; }

  // One thread's wait, with interrupts off (it looked at the ring under them).
  class Wait {
   public:
    explicit Wait(RingWaiters& waiters) : waiters_(waiters) {}
    // Sleeps until an event, the next re-check or `deadline_ns` (0: none), whichever comes
    // first. False when nothing woke it: the re-check's timer or the deadline ended it.
    bool sleep(uint64_t deadline_ns = 0);
    // What the thread waited for is there. If the last sleep ended without a wake-up, a
    // re-check found it: counted, and the first three logged as "<what> was found by the 250 ms
    // re-check, before any event woke its waiter (...)", `what` formatted printf-style.
    [[gnu::format(printf, 2, 3)]] void found(const char* what, ...);

   private:
    RingWaiters& waiters_;
    uint64_t events_before_ = 0;  // the count when the last sleep began
    bool after_recheck_ = false;  // the last sleep ended without a wake-up
  };

 private:
  xenos::WaitQueue queue_;
  uint64_t events_ = 0;
  unsigned found_by_recheck_ = 0;
};

}  // namespace xen
