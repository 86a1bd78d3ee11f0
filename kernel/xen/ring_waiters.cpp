// Ring waits with a re-check (see ring_waiters.h).
#include "ring_waiters.h"
#include <algorithm>
#include <cstdarg>
#include "format.h"
#include "log.h"
#include "xenos/time.h"

namespace xen {

bool RingWaiters::Wait::sleep(uint64_t deadline_ns) {
  uint64_t recheck = xenos::monotonic_ns() + kRecheckNs;
  events_before_ = waiters_.events_;
  after_recheck_ = !waiters_.queue_.wait_until(deadline_ns == 0 ? recheck : std::min(deadline_ns, recheck));
  return !after_recheck_;
}

void RingWaiters::Wait::found(const char* what, ...) {
  if (!after_recheck_) return;
  after_recheck_ = false;
  if (++waiters_.found_by_recheck_ > 3) return;
  char thing[200];
  va_list args;
  va_start(args, what);
  kernel::format(thing, sizeof thing, what, args);
  va_end(args);
  // An event counted meanwhile came in the same upcall as the re-check's timer (it was held
  // back until the next interrupt); none at all means no event came for it.
  kernel::log("%s was found by the %llu ms re-check, before any event woke its waiter (%u so far; %s)\n", thing,
              (unsigned long long)(kRecheckNs / 1'000'000), waiters_.found_by_recheck_,
              waiters_.events_ != events_before_ ? "its event came late, with the timer's" : "no event came");
}

}  // namespace xen
