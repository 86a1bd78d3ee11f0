// Console output goes into the ring's `out` half and input comes from `in`. Output may be
// written from anywhere (a panic, an event handler), so a full ring is waited out by yielding
// the vCPU to Xen, not by sleeping a thread.
#include "console_ring.h"
#include <cerrno>
#include "console.h"
#include "context.h"
#include "hypercalls.h"
#include "pv.h"
#include "xenos/event_channel.h"
#include "xenos/thread.h"

namespace xen {
namespace {

xencons_interface* ring = nullptr;
xenos::EventChannel* channel = nullptr;
uint32_t early_port = 0;  // before event channels are up: notify by raw EVTCHNOP_send

void notify() {
  if (channel) {
    channel->notify();
  } else {
    evtchn_send_t op{early_port};
    event_channel_op(EVTCHNOP_send, &op);
  }
}
xenos::WaitQueue* readers = nullptr;

void on_event(uint32_t, void*) { readers->wake_all(); }

void put(char c) {
  for (unsigned spins = 0;; ++spins) {
    XENCONS_RING_IDX cons = ring->out_cons, prod = ring->out_prod;
    xen_mb();  // the indexes are read before the byte goes into the space they free
    if (prod - cons < sizeof ring->out) {
      ring->out[MASK_XENCONS_IDX(prod, ring->out)] = c;
      xen_wmb();  // the byte before the index that publishes it
      ring->out_prod = prod + 1;
      return;
    }
    if (prod - cons > sizeof ring->out || spins > 100000) return;  // hostile or stuck: drop
    notify();
    sched_op(SCHEDOP_yield, nullptr);
  }
}

void write_ring(std::string_view text) {
  for (char c : text) {
    if (c == '\n') put('\r');  // a terminal on `xl console` wants CR LF
    put(c);
  }
  notify();
}

}  // namespace

void console_ring_early(xencons_interface* early_ring, uint32_t port) {
  ring = early_ring;
  early_port = port;
  kernel::console_set_writer(write_ring);
}

xenos::Result<void> console_ring_init() {
  uint64_t port = 0;
  if (const start_info* si = pv_start_info()) {  // PV: mapped by the boot path already
    port = si->console.domU.evtchn;
    if (!ring) return xenos::Error{ENODEV, "console: no ring (PV)"};
  } else {
    uint64_t pfn = 0;
    if (get_hvm_param(HVM_PARAM_CONSOLE_PFN, &pfn) != 0 || pfn == 0)
      return xenos::Error{ENODEV, "console: no HVM_PARAM_CONSOLE_PFN"};
    if (get_hvm_param(HVM_PARAM_CONSOLE_EVTCHN, &port) != 0)
      return xenos::Error{ENODEV, "console: no HVM_PARAM_CONSOLE_EVTCHN"};
    ring = reinterpret_cast<xencons_interface*>(pfn * 4096);
  }
  readers = new xenos::WaitQueue;
  auto bound = xenos::EventChannel::adopt(uint32_t(port), on_event, nullptr);
  if (!bound) return bound.error();
  channel = new xenos::EventChannel(std::move(*bound));
  kernel::console_set_writer(write_ring);
  kernel::console_set_reader(console_ring_read);  // input needs the event channel to wait on
  return {};
}

void console_ring_flush() {
  if (!ring) return;
  notify();
  for (unsigned spins = 0; spins < 20000 && ring->out_cons != ring->out_prod; ++spins)
    sched_op(SCHEDOP_yield, nullptr);
}

size_t console_ring_read(std::span<char> out) {
  if (!ring || out.empty()) return 0;
  arch::InterruptGuard guard;
  for (;;) {
    XENCONS_RING_IDX cons = ring->in_cons, prod = ring->in_prod;
    xen_rmb();                                       // the indexes before the bytes they cover
    if (prod - cons > sizeof ring->in) cons = prod;  // hostile indexes: drop what they claim
    size_t n = 0;
    while (cons != prod && n < out.size()) out[n++] = ring->in[MASK_XENCONS_IDX(cons++, ring->in)];
    xen_mb();  // the bytes are read before their space is given back
    ring->in_cons = cons;
    if (n > 0) {
      channel->notify();
      return n;
    }
    readers->wait();
  }
}

}  // namespace xen
