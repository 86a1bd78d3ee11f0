// XenStore over the store ring (xen/io/xs_wire.h). Requests carry ids so several threads can be
// in flight; whoever waits drains the response ring and hands each message to its owner (a
// request by req_id, a watch by token). Everything read from the ring is validated
// (xs_wire.cpp); a malformed reply breaks the connection with EIO, never memory. Finding the
// ring is xenstore_init.cpp's; this file touches no hypercall, so the host tests run it against
// a fake xenstored (tests/unit/xenstore_test.cpp).
#include "xenstore.h"
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include "barrier.h"
#include "context.h"
#include "log.h"
#include "format.h"
#include "xenos/event_channel.h"
#include "xenos/time.h"
#include "xenos/xenstore.h"
#include "ring_waiters.h"
#include "xs_wire.h"

extern "C" {
#include <xen/xen.h>  // DOMID_FIRST_RESERVED
#include <xen/io/xs_wire.h>
}

namespace xenos::xenstore {

struct Watch::State {
  std::string path, token;
  std::vector<std::string> events;
  WaitQueue waiters;
  State* next = nullptr;
};

}  // namespace xenos::xenstore

namespace xen {
namespace {

using xenos::Error;
using xenos::Result;
namespace xs = xen::xs;

constexpr uint64_t kReplyTimeoutNs = 30'000'000'000ull;
// Every wait on the ring looks again each RingWaiters::kRecheckNs even without an event: on
// Xen in QEMU (PVH) a 9pfs handshake once stalled ~30 s with no "no reply" line, most likely a
// reply whose event never woke its waiter (ring_waiters.h).

struct Pending {
  uint32_t req_id = 0;
  bool done = false;
  bool failed = false;  // the connection broke before the reply came
  xs::Header header{};
  std::string payload;
  Pending* next = nullptr;
};

struct Connection {
  xenstore_domain_interface* ring = nullptr;
  xenos::EventChannel channel;
  RingWaiters ring_waiters;  // woken by the event channel
  xenos::Mutex send_lock;    // one message at a time into the request ring
  Pending* pending = nullptr;
  xenos::xenstore::Watch::State* watches = nullptr;
  uint32_t next_req_id = 1;
  uint32_t next_watch = 1;
  std::string broken;        // why the connection is unusable, once it is ("" while it works)
  bool mid_message = false;  // a drain() is waiting for the rest of a long reply
};
Connection* conn;

void on_event(uint32_t, void*) { conn->ring_waiters.on_event(); }

void fail_connection(std::string why) {
  if (!conn->broken.empty()) return;
  conn->broken = std::move(why);
  kernel::log("xenstore: connection broken: %s\n", conn->broken.c_str());
  for (Pending* p = conn->pending; p; p = p->next) {
    if (!p->done) p->failed = true;
    p->done = true;
  }
  for (auto* w = conn->watches; w; w = w->next) w->waiters.wake_all();
}

void deliver(const xs::Header& h, std::string payload) {
  if (h.type == xs::kWatchEvent) {
    std::string path, token;
    int index = 0;
    xs::for_each_string(payload, [&](std::string_view s) {
      if (index == 0)
        path = s;
      else if (index == 1)
        token = s;
      ++index;
    });
    for (auto* w = conn->watches; w; w = w->next) {
      if (w->token == token) {
        w->events.push_back(std::move(path));
        w->waiters.wake_all();
        return;
      }
    }
    return;  // a late event for a watch we already removed
  }
  for (Pending* p = conn->pending; p; p = p->next) {
    if (p->req_id == h.req_id && !p->done) {
      p->header = h;
      p->payload = std::move(payload);
      p->done = true;
      return;
    }
  }
  kernel::log("xenstore: dropped a reply (type %u) to no request in flight (id %u)\n", h.type, h.req_id);
}

// Takes every complete message off the response ring. Interrupts off.
void drain() {
  if (conn->mid_message) return;  // another thread is taking a long reply off the ring
  xenstore_domain_interface* r = conn->ring;
  while (conn->broken.empty()) {
    uint32_t cons = r->rsp_cons, prod = r->rsp_prod;
    xen_rmb();  // the indexes before the data they cover
    Result<uint32_t> used = xs::ring_used(cons, prod);
    if (!used) return fail_connection(used.error().message);
    if (*used < xs::kHeaderSize) return;
    char raw[xs::kHeaderSize];
    xs::ring_read(r->rsp, cons, raw);
    Result<xs::Header> h = xs::decode_header(raw);
    if (!h) return fail_connection(h.error().message);
    bool fits = xs::kHeaderSize + h->len <= xs::kRingSize;
    if (fits && *used < xs::kHeaderSize + h->len) return;  // the rest is still coming
    // A message longer than the ring arrives in pieces: take it as the peer writes it, but a
    // peer that stops in the middle breaks the connection rather than holding us here.
    std::string payload(h->len, '\0');
    uint32_t at = cons + xs::kHeaderSize;
    size_t got = 0;
    xen_mb();  // the header is read before its space is given back
    r->rsp_cons = at;
    uint64_t deadline = xenos::monotonic_ns() + kReplyTimeoutNs;
    while (got < h->len) {
      uint32_t now_prod = r->rsp_prod;
      xen_rmb();
      Result<uint32_t> avail = xs::ring_used(at, now_prod);
      if (!avail) return fail_connection(avail.error().message);
      size_t take = std::min<size_t>(*avail, h->len - got);
      if (take == 0) {
        conn->channel.notify();
        conn->mid_message = true;
        RingWaiters::Wait(conn->ring_waiters).sleep(deadline);
        conn->mid_message = false;
        if (xenos::monotonic_ns() >= deadline) return fail_connection("xenstore: a reply stopped arriving mid-message");
        continue;
      }
      xs::ring_read(r->rsp, at, {payload.data() + got, take});
      got += take;
      at += uint32_t(take);
      xen_mb();  // the piece is read before its space is given back
      r->rsp_cons = at;
    }
    conn->channel.notify();
    deliver(*h, std::move(payload));
  }
}

Result<void> send(const xs::Header& h, std::string_view payload) {
  xenos::LockGuard lock(conn->send_lock);
  char header[xs::kHeaderSize];
  xs::encode_header(h, header);
  std::string message(header, sizeof header);
  message.append(payload);
  xenstore_domain_interface* r = conn->ring;
  size_t sent = 0;
  arch::InterruptGuard guard;
  while (sent < message.size()) {
    if (!conn->broken.empty()) return Error{EIO, conn->broken};
    uint32_t cons = r->req_cons, prod = r->req_prod;
    xen_mb();  // the indexes are read before anything is written into the space they free
    Result<uint32_t> used = xs::ring_used(cons, prod);
    if (!used) {
      fail_connection(used.error().message);
      continue;
    }
    size_t room = xs::kRingSize - *used;
    if (room == 0) {
      RingWaiters::Wait(conn->ring_waiters).sleep();
      continue;
    }
    size_t chunk = std::min(room, message.size() - sent);
    xs::ring_write(r->req, prod, {message.data() + sent, chunk});
    xen_wmb();  // the data before the index that publishes it
    r->req_prod = prod + uint32_t(chunk);
    sent += chunk;
    conn->channel.notify();
  }
  return {};
}

Result<std::string> request(uint32_t type, xenos::xenstore::TransactionId tx, std::string_view payload) {
  if (!conn) return Error{ENODEV, "xenstore: not connected"};
  if (!conn->broken.empty()) return Error{EIO, conn->broken};
  if (payload.size() > xs::kPayloadMax)
    return Error{E2BIG, "xenstore: request larger than XENSTORE_PAYLOAD_MAX"};
  Pending me;
  me.req_id = conn->next_req_id++;
  {
    arch::InterruptGuard guard;
    me.next = conn->pending;
    conn->pending = &me;
  }
  auto unlink = [&] {
    arch::InterruptGuard guard;
    for (Pending** p = &conn->pending; *p; p = &(*p)->next)
      if (*p == &me) {
        *p = me.next;
        break;
      }
  };
  Result<void> sent = send({type, me.req_id, tx, uint32_t(payload.size())}, payload);
  if (!sent) {
    unlink();
    return sent.error();
  }
  // xenstored answers in milliseconds; a request unanswered for this long is an error to
  // report, not a reason to hang the caller (a late reply is then dropped and logged).
  uint64_t deadline = xenos::monotonic_ns() + kReplyTimeoutNs;
  bool timed_out = false;
  {
    arch::InterruptGuard guard;
    RingWaiters::Wait wait(conn->ring_waiters);
    for (;;) {
      drain();
      if (me.done) {
        wait.found("xenstore: the reply to request %u (type %u)", me.req_id, unsigned(type));
        break;
      }
      if (xenos::monotonic_ns() >= deadline) {
        timed_out = true;
        break;
      }
      wait.sleep(deadline);
    }
  }
  unlink();
  if (timed_out) {
    kernel::log("xenstore: no reply to request %u (type %u) within %llu s\n", me.req_id, type,
                (unsigned long long)(kReplyTimeoutNs / 1000000000));
    return Error{ETIMEDOUT, "xenstore: no reply from xenstored"};
  }
  if (me.failed) return Error{EIO, conn->broken};
  if (me.header.type == xs::kError) {
    std::string_view name(me.payload.c_str());
    int code = xs::errno_from_name(name);
    std::string what = code == ENOENT                     ? "xenstore: no such path"
                       : code == EACCES                   ? "xenstore: permission denied"
                       : code == EAGAIN                   ? "xenstore: transaction conflict"
                       : code == ENOSPC || code == EDQUOT ? "xenstore: over this domain's quota"
                                                          : "xenstore: request refused";
    // Every request but a transaction's start and end leads with the path it is about.
    if (type != xs::kTransactionStart && type != xs::kTransactionEnd)
      what.append(": ").append(payload.substr(0, payload.find('\0')));
    return Error{code, std::move(what)};
  }
  if (me.header.type != type) return Error{EIO, "xenstore: reply of another type than the request"};
  return std::move(me.payload);
}

std::string with_nul(std::string_view path) {
  std::string s(path);
  s.push_back('\0');
  return s;
}

}  // namespace

Result<void> xenstore_connect(xenstore_domain_interface* ring, uint32_t port) {
  auto* fresh = new Connection;
  fresh->ring = ring;
  Connection* old = std::exchange(conn, fresh);
  delete old;  // the host tests start each case on a new ring; at boot there is none before
  auto channel = xenos::EventChannel::adopt(port, on_event, nullptr);
  if (!channel) return channel.error();
  conn->channel = std::move(*channel);
  return {};
}

}  // namespace xen

namespace xenos::xenstore {

using xen::request;
using xen::with_nul;
namespace xs = xen::xs;

Result<std::string> read(std::string_view path, TransactionId tx) {
  return request(xs::kRead, tx, with_nul(path));
}

Result<void> write(std::string_view path, std::string_view value, TransactionId tx) {
  std::string payload = with_nul(path);
  payload.append(value);
  TRY(request(xs::kWrite, tx, payload));
  return {};
}

Result<void> mkdir(std::string_view path, TransactionId tx) {
  TRY(request(xs::kMkdir, tx, with_nul(path)));
  return {};
}

Result<void> remove(std::string_view path, TransactionId tx) {
  TRY(request(xs::kRm, tx, with_nul(path)));
  return {};
}

static std::vector<std::string> split(std::string_view payload) {
  std::vector<std::string> out;
  xs::for_each_string(payload, [&](std::string_view s) { out.emplace_back(s); });
  return out;
}

Result<std::vector<std::string>> directory(std::string_view path, TransactionId tx) {
  std::string payload = TRY(request(xs::kDirectory, tx, with_nul(path)));
  return split(payload);
}

Result<std::vector<std::string>> get_perms(std::string_view path, TransactionId tx) {
  std::string payload = TRY(request(xs::kGetPerms, tx, with_nul(path)));
  return split(payload);
}

Result<void> set_perms(std::string_view path, const std::vector<std::string>& perms, TransactionId tx) {
  std::string payload = with_nul(path);
  for (const std::string& p : perms) payload.append(with_nul(p));
  TRY(request(xs::kSetPerms, tx, payload));
  return {};
}

Result<TransactionId> transaction_start() {
  std::string id = TRY(request(xs::kTransactionStart, 0, std::string_view("\0", 1)));
  std::string_view digits(id.c_str());  // the reply ends with a NUL
  return TransactionId(TRY(xs::parse_decimal(digits, UINT32_MAX)));
}

Result<void> transaction_end(TransactionId tx, bool commit) {
  TRY(request(xs::kTransactionEnd, tx, std::string_view(commit ? "T\0" : "F\0", 2)));
  return {};
}

Result<Watch> watch(std::string_view path) {
  auto* state = new Watch::State;
  state->path = path;
  char token[32];
  kernel::format_to(token, sizeof token, "xenos-%u", xen::conn ? xen::conn->next_watch++ : 0);
  state->token = token;
  {
    arch::InterruptGuard guard;
    if (xen::conn) {
      state->next = xen::conn->watches;
      xen::conn->watches = state;
    }
  }
  Watch w;
  w.state_ = state;  // from here on the destructor unregisters
  TRY(request(xs::kWatch, 0, with_nul(path) + with_nul(state->token)));
  return w;
}

Watch::Watch(Watch&& other) : state_(std::exchange(other.state_, nullptr)) {}

Watch& Watch::operator=(Watch&& other) {
  if (this != &other) {
    release();
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

Watch::~Watch() { release(); }

void Watch::release() {
  if (!state_) return;
  if (xen::conn) {  // no connection (xenstore never came up, or was torn down): nothing to undo
    (void)request(xs::kUnwatch, 0, with_nul(state_->path) + with_nul(state_->token));
    arch::InterruptGuard guard;
    for (State** p = &xen::conn->watches; *p; p = &(*p)->next)
      if (*p == state_) {
        *p = state_->next;
        break;
      }
  }
  delete state_;
  state_ = nullptr;
}

Result<std::string> Watch::next(uint64_t deadline_ns) {
  if (!state_) return Error{EINVAL, "xenstore: no watch"};
  arch::InterruptGuard guard;
  for (;;) {
    xen::drain();
    if (!state_->events.empty()) {
      std::string path = std::move(state_->events.front());
      state_->events.erase(state_->events.begin());
      return path;
    }
    if (!xen::conn->broken.empty()) return Error{EIO, xen::conn->broken};
    // Wait for ring traffic, which is what brings a watch event; look again every re-check
    // interval even without an event (ring_waiters.h), and once more at the deadline.
    uint64_t now = xenos::monotonic_ns();
    if (deadline_ns != 0 && now >= deadline_ns) {
      xen::drain();
      if (!state_->events.empty()) continue;
      return Error{ETIMEDOUT, "xenstore: no watch event before the deadline"};
    }
    xen::RingWaiters::Wait(xen::conn->ring_waiters).sleep(deadline_ns);
  }
}

Result<uint16_t> own_domid() {
  static int cached = -1;
  if (cached < 0) {
    std::string s = TRY(read("domid"));
    cached = int(TRY(xs::parse_decimal(s, DOMID_FIRST_RESERVED - 1)));
  }
  return uint16_t(cached);
}

}  // namespace xenos::xenstore
