// Kernel side of the XenStore client: connecting to the ring.
#pragma once
#include <cstdint>
#include "xenos/result.h"

struct xenstore_domain_interface;  // <xen/io/xs_wire.h>

namespace xen {
// Finds the ring and its port (PV start_info or HVM params) and connects (xenstore_init.cpp).
// After events_init.
xenos::Result<void> xenstore_init();
// Connects the client (xenstore.cpp) to `ring`, whose peer signals `port`. A later call replaces
// the connection: the host tests start each case on a fresh ring.
xenos::Result<void> xenstore_connect(xenstore_domain_interface* ring, uint32_t port);
}  // namespace xen
