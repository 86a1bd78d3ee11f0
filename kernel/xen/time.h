// Time on Xen: pvclock, wall clock, and the timer (VIRQ_TIMER + singleshot timer).
#pragma once
#include "xenos/result.h"

namespace xen {
xenos::Result<void> time_init();  // after events_init
}
