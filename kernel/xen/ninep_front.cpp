// The Xen 9pfs frontend (xen/io/9pfs.h): the xenbus handshake with the backend (QEMU's
// xen-9pfs in dom0), the rings, and lib9p's Transport on top of them.
//
// Handshake, as the spec orders it (and as Linux got right only in 2023): wait for the
// backend's InitWait before writing anything; parse "versions" as a comma list; grant every
// page to the backend's domid (read from xenstore, never assumed 0); write version, num-rings,
// ring-ref<N>, event-channel-<N> and state Initialised in one transaction; wait for Connected;
// go Connected. No xenbus callbacks run behind our back: the thread that connects or closes
// waits for state changes itself, so teardown cannot race a watch handler.
//
// Rings: each is an interface page plus 2^order data pages; the first half of the data is
// "in" (replies), the second "out" (requests). A request goes to ring lane % rings, the lane
// being its tag, which lib9p passes beside the message (the frontend reads no 9P field but
// size[4]); requests on different rings run in parallel in the backend (QEMU serves one per
// ring at a time). Routing by tag is on purpose: QEMU's backend answers on ring
// pdu->tag % num_rings whatever ring the request came on (xen_9pfs_push_and_notify), so any
// other routing breaks it (tried: round robin; QEMU closed the device at the first request).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include "barrier.h"
#include "context.h"
#include "common/flex_ring.h"
#include "ring_budget.h"
#include "ring_waiters.h"
#include "xs_wire.h"
#include "log.h"
#include "memory/memory.h"
#include "xenos/event_channel.h"
#include "xenos/grant.h"
#include "xenos/ninep.h"
#include "xenos/ninep_testing.h"
#include "xenos/system.h"
#include "xenos/thread.h"
#include "xenos/time.h"
#include "xenos/xenstore.h"

extern "C" {
#include <xen/io/9pfs.h>
#include <xen/io/xenbus.h>  // enum xenbus_state
}

namespace xenos::ninep {
namespace {

using xen::flex_queued;
using xen::flex_read;
using xen::flex_write;
using xen::next_message;
using xen::NextMessage;
using xen::plan_rings;
using xen::RingPlan;

constexpr uint64_t kHandshakeTimeoutNs = 30'000'000'000ull;  // the backend starts with the domain

Result<unsigned> read_number(const std::string& path) {
  std::string s = TRY(xenstore::read(path));
  return unsigned(TRY(xen::xs::parse_decimal(s, UINT32_MAX)));
}

// Waits (with a watch, not polling) until the state node at `path` satisfies `done`, or the
// deadline passes. Not a template: one copy for all its callers.
Result<unsigned> wait_for_state(const std::string& path, bool (*done)(unsigned), const char* what,
                                uint64_t deadline) {
  xenstore::Watch w = TRY(xenstore::watch(path));
  uint64_t started = monotonic_ns();
  for (;;) {
    auto state = read_number(path);
    if (state && done(*state)) return *state;
    auto changed = w.next(deadline);
    if (!changed) {
      if (changed.error().code == ETIMEDOUT) {
        kernel::log("9pfs: %s: %s is %u after %llu ms\n", what, path.c_str(), state ? *state : 0u,
                    (unsigned long long)((monotonic_ns() - started) / 1000000));
        return Error{ETIMEDOUT, what};
      }
      return changed.error();
    }
  }
}

// Writes our xenbus state (a digit: XenbusStateInitialising to XenbusStateClosed) under the
// frontend's node `frontend`.
Result<void> set_state(const std::string& frontend, unsigned state, xenstore::TransactionId tx = 0) {
  char digit = char('0' + state);
  return xenstore::write(frontend + "/state", std::string_view(&digit, 1), tx);
}

bool versions_include_1(const std::string& list) {
  size_t at = 0;
  while (at <= list.size()) {  // a comma list: "1", "1,2", "2,1"...
    size_t comma = list.find(',', at);
    if (comma == std::string::npos) comma = list.size();
    if (list.compare(at, comma - at, "1") == 0) return true;
    at = comma + 1;
  }
  return false;
}

struct xenos_9p_traffic traffic;  // every share's, since boot (xenos/system.h)

std::vector<std::string>* open_devices;  // paths of the devices whose rings are up: one session per device

}  // namespace

Result<std::vector<Device>> devices() {
  auto ids = xenstore::directory("device/9pfs");
  if (!ids) {
    if (ids.error().code == ENOENT) return std::vector<Device>{};
    return ids.error();
  }
  std::vector<Device> out;
  for (const std::string& id : *ids) {
    Device d;
    d.path = "device/9pfs/" + id;
    d.backend = TRY(xenstore::read(d.path + "/backend"));
    unsigned backend_id = TRY(read_number(d.path + "/backend-id"));
    if (backend_id >= 0x7ff0) return Error{EIO, "9pfs: backend-id out of range"};
    d.backend_id = uint16_t(backend_id);
    d.tag = TRY(xenstore::read(d.path + "/tag"));
    out.push_back(std::move(d));
  }
  return out;
}

class RingTransport final : public ShareRings {
 public:
  // `devices`: the share's device first, then the ones to fail over to (Options::fallback_tags).
  // Each is marked open until the transport is destroyed (one session per device).
  explicit RingTransport(std::vector<Device> devices) : devices_(std::move(devices)) {
    for (const Device& d : devices_) open_devices->push_back(d.path);
  }
  ~RingTransport() override {
    (void)close();
    for (const Device& d : devices_) std::erase(*open_devices, d.path);
  }

  Result<void> connect(const Options& options, uint64_t deadline);
  Result<void> close();
  // lib9p's recovery: the old rings go, the backend is brought back to InitWait (a live one
  // through Closing/Closed, a restarted one starts there), new rings are set up.
  p9::Result<void> reconnect(uint64_t deadline_ns) override;
  void abandon() override {
    arch::InterruptGuard guard;
    fail("9pfs: the backend stopped answering (not even a probe)");
  }

  size_t max_message_size() const override { return ring_bytes_ / 2; }
  p9::Result<void> send(std::span<const std::byte> message, uint16_t lane) override;
  p9::Result<std::vector<std::byte>> receive(uint64_t deadline_ns) override;

  const Device& device() const override { return devices_.front(); }
  Stats stats() const override {
    return {unsigned(rings_.size()), order_, ring_bytes_, sent_, received_, 0, reconnects_,
            unsigned(current_)};
  }
  Result<void> abuse(testing::RingAbuse how);

 private:
  struct Ring {
    xen_9pfs_data_intf* intf = nullptr;
    uint64_t intf_frame = 0, data_frame = 0;
    volatile std::byte* in = nullptr;   // replies, backend -> us
    volatile std::byte* out = nullptr;  // requests, us -> backend
    Grant intf_grant;
    std::vector<Grant> data_grants;
    EventChannel channel;
    Mutex send_lock;
  };

  static void on_event(uint32_t, void* self) {
    auto* t = static_cast<RingTransport*>(self);
    ++traffic.events;
    t->waiters_.on_event();
  }
  static void watch_backend(void* self);
  void stop_watching();
  Result<void> setup_ring(Ring& r);
  void teardown_rings();
  void fail(std::string why);  // interrupts off

  const Device& current_device() const { return devices_[current_]; }  // the rings' device now
  Result<void> connect_again(uint64_t deadline);

  std::vector<Device> devices_;
  size_t current_ = 0;  // the device the rings are (or were last) on
  Options options_;
  std::vector<xenos::Owned<Ring>> rings_;
  unsigned order_ = 0;
  uint32_t ring_bytes_ = 0;  // per direction
  xen::RingWaiters waiters_;  // ring events: replies arrived or request space freed
  std::string broken_;        // why the share is unusable, once it is ("" while it works)
  unsigned next_ring_ = 0;    // where receive() looks first
  uint64_t sent_ = 0, received_ = 0, reconnects_ = 0;
  uint64_t first_rings_bytes_ = 0;  // what the first connect's rings took (see connect)
  bool connected_ = false;
  ThreadHandle backend_watcher_;  // runs while connected (watch_backend)
  bool stop_watching_ = false;
};

// While the share is connected a thread watches the backend: a backend that closes the device
// (it judged our ring hostile, or it is going away) or dies (its process killed: xenstore still
// says Connected, but its end of the event channels is closed) must fail the requests waiting on
// it instead of leaving them waiting forever. Xen tells nobody when the other end of an event
// channel closes, so each tick asks (EVTCHNOP_status); xenstore is where a backend says the rest.
void RingTransport::watch_backend(void* self) {
  auto* t = static_cast<RingTransport*>(self);
  std::string path = t->current_device().backend + "/state";
  auto w = xenstore::watch(path);
  if (!w) {
    kernel::log("9pfs: share \"%s\": cannot watch %s: %s\n", t->current_device().tag.c_str(), path.c_str(),
                w.error().message.c_str());
    return;
  }
  constexpr uint64_t kTickNs = 250'000'000;  // a dead backend is noticed within this
  while (!t->stop_watching_) {
    auto changed = w->next(monotonic_ns() + kTickNs);
    if (t->stop_watching_) return;
    if (!changed && changed.error().code == ETIMEDOUT) {
      if (t->rings_.empty() || t->rings_[0]->channel.remote_bound()) continue;
      arch::InterruptGuard guard;
      t->fail("9pfs: the backend closed its event channel (its process is gone)");
      return;
    }
    auto state = read_number(path);
    if (changed && state && *state == XenbusStateConnected) continue;
    arch::InterruptGuard guard;
    t->fail(!changed ? "9pfs: xenstore failed while watching the backend"
            : !state ? "9pfs: the backend's state is gone (the backend went away)"
                     : "9pfs: the backend left Connected (it closed the device or started again)");
    return;
  }
}

void RingTransport::stop_watching() {
  stop_watching_ = true;
  backend_watcher_.join();  // it sees the flag within a tick
  stop_watching_ = false;
}

Result<void> RingTransport::setup_ring(Ring& r) {
  unsigned pages = 1u << order_;
  auto intf = kernel::frames().allocate(1);
  auto data = kernel::frames().allocate(pages);
  if (!intf || !data) {
    if (intf) kernel::frames().free(*intf);
    if (data) kernel::frames().free(*data, pages);
    return Error{ENOMEM, "9pfs: no memory for a ring (try fewer rings or a lower order)"};
  }
  r.intf_frame = *intf;
  r.data_frame = *data;
  std::memset(reinterpret_cast<void*>(*intf * kernel::kPageSize), 0, kernel::kPageSize);
  std::memset(reinterpret_cast<void*>(*data * kernel::kPageSize), 0, size_t(pages) * kernel::kPageSize);
  r.intf = reinterpret_cast<xen_9pfs_data_intf*>(*intf * kernel::kPageSize);
  auto* bytes = reinterpret_cast<volatile std::byte*>(*data * kernel::kPageSize);
  r.in = bytes;
  r.out = bytes + ring_bytes_;
  r.intf->ring_order = order_;
  for (unsigned i = 0; i < pages; ++i) {
    Grant g = TRY(Grant::share(current_device().backend_id, *data + i, GrantAccess::kReadWrite));
    r.intf->ref[i] = g.ref();
    r.data_grants.push_back(std::move(g));
  }
  r.intf_grant = TRY(Grant::share(current_device().backend_id, *intf, GrantAccess::kReadWrite));
  r.channel = TRY(EventChannel::alloc_unbound(current_device().backend_id, on_event, this));
  return {};
}

Result<void> RingTransport::connect(const Options& options, uint64_t deadline) {
  options_ = options;
  const std::string& be = current_device().backend;
  const std::string& fe = current_device().path;
  // After a close our state is Closed; going back to Initialising is what makes the backend
  // reset to InitWait for a new connection (xenbus: a frontend may reconnect this way).
  auto own = read_number(fe + "/state");
  if (own && *own != XenbusStateInitialising) TRY_VOID(set_state(fe, XenbusStateInitialising));
  // 9pfs.h: nothing else may be written before the backend is in InitWait.
  unsigned state = TRY(wait_for_state(
      be + "/state", [](unsigned s) { return s == XenbusStateInitWait || s == XenbusStateConnected; },
      "9pfs: the backend never reached InitWait", deadline));
  if (state != XenbusStateInitWait)
    return Error{EBUSY, "9pfs: the backend is connected already (another frontend?)"};
  std::string versions = TRY(xenstore::read(be + "/versions"));
  if (!versions_include_1(versions))
    return Error{EPROTONOSUPPORT, "9pfs: the backend does not offer transport version 1"};
  unsigned max_rings = TRY(read_number(be + "/max-rings"));
  unsigned max_order = TRY(read_number(be + "/max-ring-page-order"));
  if (max_rings == 0) return Error{EIO, "9pfs: the backend offers no rings"};
  unsigned want_rings = options.max_rings ? std::min(options.max_rings, max_rings) : max_rings;
  unsigned want_order = std::min({max_order, options.max_order, 9u});
  if (want_order < 1) return Error{EIO, "9pfs: ring order below 1 leaves no room for a message"};
  // A small guest gets fewer, smaller rings rather than none (ring_budget.h): within the
  // caller's budget, and never past a quarter of what is free now. A reconnect gets what the
  // first connect took, not a new quarter of what is free in the middle of a recovery: the
  // session on the rings agreed its msize from their size, and smaller rings would end it.
  uint64_t budget = default_ring_budget();
  if (options.ring_budget_bytes) budget = std::min(budget, options.ring_budget_bytes);
  if (first_rings_bytes_) budget = first_rings_bytes_;
  RingPlan plan = plan_rings(want_rings, want_order, budget);
  if (plan.rings == 0) return Error{ENOMEM, "9pfs: not enough free memory for even one ring"};
  if (plan.rings != want_rings || plan.order != want_order)
    kernel::log("9pfs: share \"%s\": %u rings of order %u fit its %llu KiB budget (%u of order %u offered)\n",
                current_device().tag.c_str(), plan.rings, plan.order, (unsigned long long)(budget >> 10),
                want_rings, want_order);
  order_ = plan.order;
  if (!first_rings_bytes_) first_rings_bytes_ = uint64_t(plan.rings) * (1 + (uint64_t(1) << plan.order)) * 4096;
  ring_bytes_ = uint32_t(XEN_FLEX_RING_SIZE(order_));

  for (unsigned i = 0; i < plan.rings; ++i) {
    rings_.emplace_back(new Ring);
    Ring* r = rings_.back().get();
    TRY_VOID(setup_ring(*r));
  }
  // One transaction: the backend sees all keys and the state change together.
  TRY_VOID(xenstore::transact([&](xenstore::TransactionId tx) -> Result<void> {
    TRY_VOID(xenstore::write(fe + "/version", "1", tx));
    TRY_VOID(xenstore::write(fe + "/num-rings", std::to_string(rings_.size()), tx));
    for (size_t i = 0; i < rings_.size(); ++i) {
      TRY_VOID(xenstore::write(fe + "/ring-ref" + std::to_string(i),
                               std::to_string(rings_[i]->intf_grant.ref()), tx));
      TRY_VOID(xenstore::write(fe + "/event-channel-" + std::to_string(i),
                               std::to_string(rings_[i]->channel.port()), tx));
    }
    return set_state(fe, XenbusStateInitialised, tx);
  }));
  TRY(wait_for_state(
      be + "/state", [](unsigned s) { return s >= XenbusStateConnected; },
      "9pfs: the backend did not connect", deadline));
  if (TRY(read_number(be + "/state")) != XenbusStateConnected)
    return Error{EIO, "9pfs: the backend closed during the handshake"};
  TRY_VOID(set_state(fe, XenbusStateConnected));
  connected_ = true;
  auto watcher = spawn("9pfs-backend", watch_backend, this);
  if (!watcher) return Error{watcher.error().code, "9pfs: cannot start the backend watcher"};
  backend_watcher_ = std::move(*watcher);
  kernel::log("9pfs: share \"%s\" connected: %zu rings of order %u (%u KiB each way), backend domain %u\n",
              current_device().tag.c_str(), rings_.size(), order_, ring_bytes_ / 1024,
              current_device().backend_id);
  return {};
}

Result<void> RingTransport::close() {
  if (rings_.empty()) return {};
  const std::string& fe = current_device().path;
  stop_watching_ = true;  // a close is not a failure: the watcher leaves without a word
  if (connected_) {
    (void)set_state(fe, XenbusStateClosing);
    auto s = wait_for_state(
        current_device().backend + "/state",
        [](unsigned st) { return st >= XenbusStateClosing || st <= XenbusStateInitWait; },
        "9pfs: the backend did not close", monotonic_ns() + kHandshakeTimeoutNs);
    if (!s) kernel::log("9pfs: %s; taking the rings down anyway\n", s.error().message.c_str());
  }
  stop_watching();  // the backend's state change woke it, or its tick will
  teardown_rings();
  if (connected_) (void)set_state(fe, XenbusStateClosed);
  connected_ = false;
  arch::InterruptGuard guard;
  if (broken_.empty()) broken_ = "9pfs: the share is closed";
  waiters_.wake_all();
  return {};
}

void RingTransport::teardown_rings() {
  bool leaked = false;
  for (auto& ring : rings_) {
    Ring* r = ring.get();
    r->channel.close();
    // A page the backend still maps must not go back to the allocator: keep it if so.
    bool busy = false;
    for (Grant& g : r->data_grants) busy |= !g.end();
    busy |= !r->intf_grant.end();
    if (busy) {
      leaked = true;
    } else if (r->intf_frame) {
      kernel::frames().free(r->intf_frame);
      kernel::frames().free(r->data_frame, 1u << order_);
    }
  }
  rings_.clear();
  next_ring_ = 0;
  if (leaked) kernel::log("9pfs: the backend still maps ring pages; they stay reserved\n");
}

// One try on the current device: bring its backend back to InitWait, then connect.
Result<void> RingTransport::connect_again(uint64_t deadline) {
  const std::string& fe = current_device().path;
  std::string be_state = current_device().backend + "/state";
  // A live backend lets go of the old rings when we say Closing (and answers Closed); a dead
  // one cannot, and a restarted one has forgotten them: it starts in InitWait and sets our
  // state to Initialising itself, and a Closing from us then would only close it again.
  auto now = read_number(be_state);
  if (!now || *now != XenbusStateInitWait) (void)set_state(fe, XenbusStateClosing);
  connected_ = false;
  TRY(wait_for_state(
      be_state, [](unsigned s) { return s == XenbusStateClosed || s == XenbusStateInitWait; },
      "9pfs: the backend did not come back", deadline));
  {
    arch::InterruptGuard guard;
    broken_.clear();
  }
  return connect(options_, deadline);
}

p9::Result<void> RingTransport::reconnect(uint64_t deadline_ns) {
  kernel::log("9pfs: share \"%s\": reconnecting (%s)\n", current_device().tag.c_str(),
              broken_.empty() ? "asked to" : broken_.c_str());
  stop_watching();
  teardown_rings();
  // Each device in turn, for failover_after_ns each when there are several (the first is
  // usually back by then if it is coming back at all). A backend that restarts while we say
  // Closing may answer it late: so even one device gets a second try.
  Result<void> connected = Error{EIO, "9pfs: the deadline passed before a try"};
  for (size_t tries = 0; tries < 2 * devices_.size() + 2 && monotonic_ns() < deadline_ns; ++tries) {
    uint64_t slice = devices_.size() > 1 ? std::min(deadline_ns, monotonic_ns() + options_.failover_after_ns)
                                         : deadline_ns;
    connected = connect_again(slice);
    if (connected) break;
    kernel::log("9pfs: share \"%s\": reconnecting failed: %s\n", current_device().tag.c_str(),
                connected.error().message.c_str());
    stop_watching();
    teardown_rings();
    if (devices_.size() > 1) {
      current_ = (current_ + 1) % devices_.size();
      kernel::log("9pfs: failing over to share \"%s\" (backend %s)\n", current_device().tag.c_str(),
                  current_device().backend.c_str());
    }
  }
  if (!connected) {
    arch::InterruptGuard guard;
    broken_ = "9pfs: the share could not be reconnected";
    return connected.error();
  }
  ++reconnects_;
  return {};
}

void RingTransport::fail(std::string why) {
  if (!broken_.empty()) return;
  broken_ = std::move(why);
  kernel::log("%s (share \"%s\"); its requests now fail with EIO\n", broken_.c_str(),
              current_device().tag.c_str());
  waiters_.wake_all();
}

p9::Result<void> RingTransport::send(std::span<const std::byte> message, uint16_t lane) {
  if (rings_.empty()) return p9::Error{EIO, broken_.empty() ? "9pfs: the share is not connected" : broken_};
  if (message.size() < p9::kHeaderSize) return p9::Error{EINVAL, "9pfs: message shorter than a 9P header"};
  if (message.size() > max_message_size())
    return p9::Error{EMSGSIZE, "9pfs: message larger than the ring's msize"};
  Ring& r = *rings_[lane % rings_.size()];
  LockGuard one_sender(r.send_lock);
  arch::InterruptGuard guard;
  for (;;) {
    if (!broken_.empty()) return p9::Error{EIO, broken_};
    uint32_t cons = r.intf->out_cons, prod = r.intf->out_prod;
    xen_mb();  // the indexes are read before anything is written into the space they free
    auto queued = flex_queued(prod, cons, ring_bytes_);
    if (!queued) {
      fail(queued.error().message);
      continue;
    }
    if (ring_bytes_ - *queued >= message.size()) {
      flex_write(r.out, ring_bytes_, prod, message);
      xen_wmb();  // the data before the index that publishes it
      r.intf->out_prod = prod + uint32_t(message.size());
      ++sent_;
      ++traffic.requests;
      ++traffic.notifications;
      r.channel.notify();
      return {};
    }
    // The backend frees space and tells us through the event channel (looked at again each
    // RingWaiters::kRecheckNs even without one).
    xen::RingWaiters::Wait(waiters_).sleep();
  }
}

p9::Result<std::vector<std::byte>> RingTransport::receive(uint64_t deadline_ns) {
  if (rings_.empty()) return p9::Error{EIO, broken_.empty() ? "9pfs: the share is not connected" : broken_};
  arch::InterruptGuard guard;
  xen::RingWaiters::Wait wait(waiters_);
  for (;;) {
    if (!broken_.empty()) return p9::Error{EIO, broken_};
    for (size_t k = 0; k < rings_.size(); ++k) {
      size_t i = (next_ring_ + k) % rings_.size();
      Ring& r = *rings_[i];
      uint32_t cons = r.intf->in_cons, prod = r.intf->in_prod;
      xen_rmb();  // the indexes before the data they cover
      NextMessage next = next_message(r.in, ring_bytes_, cons, prod, uint32_t(max_message_size()));
      if (next.state == NextMessage::kHostile) {
        fail(next.why);
        break;
      }
      if (next.state != NextMessage::kReady) continue;  // nothing, or the rest is still coming
      uint32_t size = next.size;
      std::vector<std::byte> message(size);
      flex_read(r.in, ring_bytes_, cons, message);
      xen_mb();  // the data is copied out before its space is given back
      r.intf->in_cons = cons + size;
      ++received_;
      ++traffic.replies;
      ++traffic.notifications;
      next_ring_ = unsigned(i + 1);
      r.channel.notify();
      wait.found("9pfs: share \"%s\": a reply on ring %zu", current_device().tag.c_str(), i);
      return message;
    }
    if (!broken_.empty()) continue;
    uint64_t now = monotonic_ns();
    if (deadline_ns != 0 && now >= deadline_ns)
      return p9::Error{ETIMEDOUT, "9pfs: no reply before the deadline"};
    wait.sleep(deadline_ns);
  }
}

Result<void> RingTransport::abuse(testing::RingAbuse how) {
  using testing::RingAbuse;
  if (rings_.empty()) return Error{ENOTCONN, "9pfs: the share is not connected"};
  Ring& r = *rings_[0];
  LockGuard one_sender(r.send_lock);
  arch::InterruptGuard guard;
  uint32_t prod = r.intf->out_prod;
  uint32_t size = how == RingAbuse::kSizeBeyondRing    ? 0xfffffff0u
                  : how == RingAbuse::kSizeBelowHeader ? 3u
                                                       : uint32_t(max_message_size()) + 1;
  std::byte header[7] = {std::byte(size), std::byte(size >> 8), std::byte(size >> 16), std::byte(size >> 24),
                         std::byte(100),  std::byte(0xfe),      std::byte(0xff)};  // Tversion, tag 0xfffe
  if (how == RingAbuse::kIndexBeyondRing) {
    r.intf->out_prod = r.intf->out_cons + ring_bytes_ + 64;
  } else {
    flex_write(r.out, ring_bytes_, prod, header);
    xen_wmb();
    r.intf->out_prod = prod + sizeof header;
  }
  r.channel.notify();
  return {};
}

// ---- Share ----------------------------------------------------------------------------------

namespace {

// The device tagged `tag`, waiting up to `wait_ns` for a backend to offer it: xl writes its
// devices before the domain runs, but a backend such as iohost may attach to a running domain.
// While waiting, a half-written device (a backend between two writes) counts as not there yet.
p9::Result<Device> find_device(const std::string& tag, uint64_t wait_ns) {
  uint64_t deadline = monotonic_ns() + wait_ns;
  xenstore::Watch w;
  for (;;) {
    auto all = devices();
    std::string known;
    if (all) {
      for (const Device& d : *all) {
        if (d.tag == tag) return d;
        known += (known.empty() ? "" : ", ") + d.tag;
      }
    }
    bool waiting = wait_ns != 0 && monotonic_ns() < deadline;
    if (!waiting) {
      if (!all) return all.error();
      return p9::Error{ENOENT, "9pfs: no share tagged \"" + tag + "\" (this domain has: " +
                                   (known.empty() ? std::string("none") : known) + ")"};
    }
    if (!w.valid()) {  // first time round: say so once, then wait for device/9pfs to change
      kernel::log("9pfs: no share tagged \"%s\" yet; waiting up to %llu s for a backend to offer it\n",
                  tag.c_str(), (unsigned long long)(wait_ns / 1'000'000'000));
      auto watch = xenstore::watch("device/9pfs");
      if (!watch) return watch.error();
      w = std::move(*watch);
    }
    auto changed = w.next(deadline);
    if (!changed && changed.error().code != ETIMEDOUT) return changed.error();
  }
}

}  // namespace

}  // namespace xenos::ninep

extern "C" void xenos_9p_traffic(struct xenos_9p_traffic* out) {
  arch::InterruptGuard guard;  // the event handler counts too
  *out = xenos::ninep::traffic;
}

namespace xenos::ninep {

uint64_t default_ring_budget() {
  return xen::default_ring_budget(kernel::frames().free_frames() * kernel::kPageSize);
}

p9::Result<Owned<ShareRings>> ShareRings::connect(const std::string& tag, const Options& options) {
  std::vector<Device> devices;
  std::vector<std::string> tags{tag};
  tags.insert(tags.end(), options.fallback_tags.begin(), options.fallback_tags.end());
  if (!open_devices) open_devices = new std::vector<std::string>;
  for (const std::string& t : tags) {
    auto device = find_device(t, options.device_wait_ns);
    if (!device) return device.error();
    for (const std::string& path : *open_devices)
      if (path == device->path) return p9::Error{EBUSY, "9pfs: share \"" + t + "\" is open already"};
    devices.push_back(std::move(*device));
  }
  auto rings = Owned<RingTransport>(new RingTransport(std::move(devices)));
  TRY_VOID(rings->connect(options, monotonic_ns() + kHandshakeTimeoutNs));
  return Owned<ShareRings>(std::move(rings));
}

namespace testing {

const char* name(RingAbuse how) {
  switch (how) {
    case RingAbuse::kIndexBeyondRing: return "an out_prod index beyond the ring";
    case RingAbuse::kSizeBeyondRing: return "a size[4] larger than the ring";
    case RingAbuse::kSizeBelowHeader: return "a size[4] below a 9P header";
    case RingAbuse::kSizeBeyondMsize: return "a never-ending message (size[4] above msize)";
  }
  return "?";
}

Result<void> abuse_ring(Share& share, RingAbuse how) {
  return static_cast<RingTransport&>(*share.transport_).abuse(how);  // ShareRings::connect made it
}

}  // namespace testing

}  // namespace xenos::ninep
