// The PV console ring (xen/io/console.h) named by HVM_PARAM_CONSOLE_PFN/EVTCHN: what
// xenconsoled logs and `xl console` shows. Once up, it replaces the early console.
#pragma once
#include <cstddef>
#include <span>
#include "xenos/result.h"
#include "xen_headers.h"

namespace xen {

xenos::Result<void> console_ring_init();  // after events_init
// PV: the ring exists from the first instruction; output can use it before anything else.
void console_ring_early(xencons_interface* ring, uint32_t port);
// Waits (boundedly) until xenconsoled has taken everything written, so a shutdown that follows
// does not cut off the last lines.
void console_ring_flush();
// Blocks the calling thread until at least one byte of input is there; returns how many it read.
size_t console_ring_read(std::span<char> out);

}  // namespace xen
