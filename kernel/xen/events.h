// Kernel side of event channels: bring-up of the upcall and the per-port dispatch table.
#pragma once
#include "xenos/result.h"

namespace xen {

constexpr uint8_t kUpcallVector = 0xf3;  // same as Linux's HYPERVISOR_CALLBACK_VECTOR

// Masks every port, installs the upcall vector, tells Xen (HVM_PARAM_CALLBACK_IRQ) and
// enables interrupts.
xenos::Result<void> events_init();

}  // namespace xen
