// Event channels: 2-level ABI, upcall through the HVM callback vector, a dispatch table that
// grows with the highest port bound (no fixed small table).
#include <cerrno>
#include <vector>
#include "context.h"
#include "cpu.h"
#include "events.h"
#include "hypercalls.h"
#include "log.h"
#include "pending_scan.h"
#include "pv.h"
#include "shared_info.h"
#include "trap.h"
#include "xenos/event_channel.h"

extern "C" void arch_pv_event_entry();
extern "C" void arch_pv_failsafe_entry();

namespace xen {
namespace {

struct Binding {
  xenos::EventHandler handler = nullptr;
  void* context = nullptr;
};
std::vector<Binding>* bindings;  // index: port; created in events_init (no global constructor)
constexpr unsigned kPendingWords = sizeof(shared_info::evtchn_pending) / sizeof(xen_ulong_t);

void dispatch(unsigned port) {
  if (port < bindings->size() && (*bindings)[port].handler)
    (*bindings)[port].handler(port, (*bindings)[port].context);
}

void upcall() {
  vcpu_info* v = vcpu0();
  shared_info* s = shared();
  while (v->evtchn_upcall_pending) {
    v->evtchn_upcall_pending = 0;
    uint64_t selector = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    scan_pending(selector, s->evtchn_pending, s->evtchn_mask, kPendingWords, dispatch);
  }
}

void set_mask_bit(uint32_t port, bool masked) {
  auto* word = &shared()->evtchn_mask[port / 64];
  uint64_t bit = uint64_t(1) << (port % 64);
  if (masked)
    __atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST);
  else
    __atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST);
}

xenos::Result<xenos::EventChannel> bind(long rc, uint32_t port, xenos::EventHandler handler, void* context,
                                        const char* what) {
  if (rc != 0) return xenos::Error{int(-rc), what};
  return xenos::EventChannel::adopt(port, handler, context);
}

}  // namespace

xenos::Result<void> events_init() {
  bindings = new std::vector<Binding>();
  shared_info* s = shared();
  for (unsigned i = 0; i < kPendingWords; ++i) s->evtchn_mask[i] = ~xen_ulong_t(0);
  if (pv_start_info()) {
    // PV: Xen bounces events to a callback (entered with events masked) instead of a vector.
    arch::set_upcall_handler(upcall);
    callback_register_t event{CALLBACKTYPE_event, CALLBACKF_mask_events,
                              reinterpret_cast<xen_callback_t>(arch_pv_event_entry)};
    callback_register_t failsafe{CALLBACKTYPE_failsafe, CALLBACKF_mask_events,
                                 reinterpret_cast<xen_callback_t>(arch_pv_failsafe_entry)};
    if (arch::hypercall(__HYPERVISOR_callback_op, CALLBACKOP_register, reinterpret_cast<uint64_t>(&event)) !=
            0 ||
        arch::hypercall(__HYPERVISOR_callback_op, CALLBACKOP_register,
                        reinterpret_cast<uint64_t>(&failsafe)) != 0)
      return xenos::Error{EIO, "events: CALLBACKOP_register refused"};
  } else {
    arch::install_upcall_vector(kUpcallVector, upcall);
    // params.h: HVM_PARAM_CALLBACK_TYPE_VECTOR (2) in bits 63:56, the vector below.
    long rc = set_hvm_param(HVM_PARAM_CALLBACK_IRQ, (uint64_t(2) << 56) | kUpcallVector);
    if (rc != 0) return xenos::Error{int(-rc), "events: HVM_PARAM_CALLBACK_IRQ refused"};
  }
  arch::enable_interrupts();
  return {};
}

}  // namespace xen

namespace xenos {

Result<EventChannel> EventChannel::adopt(uint32_t port, EventHandler handler, void* context) {
  {
    arch::InterruptGuard guard;
    if (port >= xen::bindings->size()) xen::bindings->resize(port + 1);
    (*xen::bindings)[port] = {handler, context};
  }
  EventChannel channel(port);
  channel.unmask();
  return channel;
}

Result<EventChannel> EventChannel::bind_virq(uint32_t virq, EventHandler handler, void* context) {
  evtchn_bind_virq_t op{};
  op.virq = virq;
  op.vcpu = 0;
  long rc = xen::event_channel_op(EVTCHNOP_bind_virq, &op);
  return xen::bind(rc, op.port, handler, context, "event channel: bind_virq refused");
}

Result<EventChannel> EventChannel::alloc_unbound(DomainId remote, EventHandler handler, void* context) {
  evtchn_alloc_unbound_t op{};
  op.dom = DOMID_SELF;
  op.remote_dom = remote;
  long rc = xen::event_channel_op(EVTCHNOP_alloc_unbound, &op);
  return xen::bind(rc, op.port, handler, context, "event channel: alloc_unbound refused");
}

Result<EventChannel> EventChannel::bind_interdomain(DomainId remote, uint32_t remote_port,
                                                    EventHandler handler, void* context) {
  evtchn_bind_interdomain_t op{};
  op.remote_dom = remote;
  op.remote_port = remote_port;
  long rc = xen::event_channel_op(EVTCHNOP_bind_interdomain, &op);
  return xen::bind(rc, op.local_port, handler, context, "event channel: bind_interdomain refused");
}

EventChannel& EventChannel::operator=(EventChannel&& other) {
  if (this != &other) {
    close();
    port_ = std::exchange(other.port_, kNoPort);
  }
  return *this;
}

void EventChannel::notify() const {
  evtchn_send_t op{port_};
  xen::event_channel_op(EVTCHNOP_send, &op);
}

unsigned event_channels_bound() {
  if (!xen::bindings) return 0;
  arch::InterruptGuard guard;
  unsigned n = 0;
  for (const auto& b : *xen::bindings) n += b.handler != nullptr;
  return n;
}

bool EventChannel::remote_bound() const {
  evtchn_status_t op{};
  op.dom = DOMID_SELF;
  op.port = port_;
  if (xen::event_channel_op(EVTCHNOP_status, &op) != 0) return false;
  return op.status == EVTCHNSTAT_interdomain;
}

void EventChannel::mask() const { xen::set_mask_bit(port_, true); }

void EventChannel::unmask() const {
  // EVTCHNOP_unmask rather than clearing the bit ourselves: Xen re-raises the upcall if the
  // port became pending while masked, so no edge is lost.
  evtchn_unmask_t op{port_};
  xen::event_channel_op(EVTCHNOP_unmask, &op);
}

void EventChannel::close() {
  if (port_ == kNoPort) return;
  mask();
  {
    arch::InterruptGuard guard;
    (*xen::bindings)[port_] = {};
  }
  evtchn_close_t op{port_};
  xen::event_channel_op(EVTCHNOP_close, &op);
  port_ = kNoPort;
}

}  // namespace xenos
