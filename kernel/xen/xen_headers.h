// Xen public headers (from libxen-dev, via the build's include/xen link), wrapped for C++.
// __XEN_INTERFACE_VERSION__ comes from the build flags (4.17's interface, 0x00040e00).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "barrier.h"  // xen_mb, xen_rmb, xen_wmb: xen/io/ring.h uses them too

extern "C" {
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/callback.h>
#include <xen/grant_table.h>
#include <xen/vcpu.h>
#include <xen/io/xs_wire.h>
#include <xen/io/console.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/version.h>
}
