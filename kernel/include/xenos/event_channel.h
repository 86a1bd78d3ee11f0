// Xen event channels (2-level ABI). An EventChannel owns its port: the port is closed when it
// goes out of scope. Handlers run in interrupt context: they may wake threads (WaitQueue) and
// nothing more.
#pragma once
#include <cstdint>
#include <utility>
#include "xenos/result.h"

namespace xenos {

using EventHandler = void (*)(uint32_t port, void* context);
using DomainId = uint16_t;
constexpr DomainId kDomidSelf = 0x7ff0;  // DOMID_SELF

class EventChannel {
 public:
  static Result<EventChannel> bind_virq(uint32_t virq, EventHandler handler, void* context);
  // A port that `remote` may bind to (kDomidSelf: to loop back into this domain).
  static Result<EventChannel> alloc_unbound(DomainId remote, EventHandler handler, void* context);
  static Result<EventChannel> bind_interdomain(DomainId remote, uint32_t remote_port, EventHandler handler,
                                               void* context);
  // Takes ownership of a port that already exists (e.g. xenstore's, from an HVM param).
  static Result<EventChannel> adopt(uint32_t port, EventHandler handler, void* context);

  EventChannel() = default;
  EventChannel(EventChannel&& other) : port_(std::exchange(other.port_, kNoPort)) {}
  EventChannel& operator=(EventChannel&& other);
  EventChannel(const EventChannel&) = delete;
  EventChannel& operator=(const EventChannel&) = delete;
  ~EventChannel() { close(); }

  uint32_t port() const { return port_; }
  bool valid() const { return port_ != kNoPort; }
  void notify() const;
  // Whether the other end is still bound (EVTCHNOP_status says interdomain). When a remote
  // domain or process closes its end, Xen tells nobody: the port turns back to unbound.
  bool remote_bound() const;
  void mask() const;
  void unmask() const;  // an event that arrived while masked is delivered now
  void close();

 private:
  static constexpr uint32_t kNoPort = ~0u;
  explicit EventChannel(uint32_t port) : port_(port) {}
  uint32_t port_ = kNoPort;
};

// Ports this domain has bound to a handler now (for leak checks).
unsigned event_channels_bound();

}  // namespace xenos
