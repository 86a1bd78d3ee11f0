// Kernel side of the XenStore client: connecting to the ring named by the HVM params.
#pragma once
#include "xenos/result.h"

namespace xen {
xenos::Result<void> xenstore_init();  // after events_init
}
