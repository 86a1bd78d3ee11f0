// Fakes of Xen for host tests of kernel code that talks to xenstore, grants and event channels
// (tests/unit/xenstore_test.cpp, ninep_handshake_test.cpp): a fake xenstored on a real ring,
// grants and event channels that count what is outstanding, a frame allocator over real
// memory, and the scheduler's timer and "interrupts" (an event when one is due, else the timer
// at its deadline: simulated time passes only while every thread waits).
#pragma once
#include <gtest/gtest.h>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>
#include "xen/xs_wire.h"
#include "xenos/event_channel.h"

extern "C" {
#include <xen/io/xs_wire.h>
}

namespace fake_xen {

namespace xs = xen::xs;

// xenstored's end of the ring. It runs after the client notifies, when nothing in the guest can
// run (see wait_for_interrupt below), as a peer in another domain would: it takes requests,
// writes replies, and sends its event as an interrupt.
struct FakeXenstored {
  xenstore_domain_interface ring{};
  xenos::EventHandler handler = nullptr;
  void* context = nullptr;
  uint32_t port = 0;

  std::map<std::string, std::string> store;
  std::map<std::string, std::string> watches;  // token -> path
  // Called after each write the client makes (a scripted backend reacts here, as a peer domain
  // watching the path would); writes inside a transaction are applied at once.
  std::function<void(const std::string& path, const std::string& value)> on_write;
  bool answers = true;            // false: requests are taken and never answered
  std::vector<size_t> answer_order;  // keep this many requests, then answer them in this order
  bool drop_events = false;       // replies are written, their event never sent
  size_t reply_bytes_limit = ~size_t(0);  // stop writing replies after this many bytes
  std::vector<std::pair<xs::Header, std::string>> held;
  std::string outbox;  // reply bytes not yet in the ring
  size_t written = 0;
  int pieces = 0;  // times the response ring was written to
  bool event_due = false;
  bool notified = false;  // the client signalled: xenstored runs at the next interrupt

  void on_notify() { notified = true; }

  // As xenstored: whatever the ring holds is taken at once, so a request longer than the ring
  // (a 4 KiB payload in the 1 KiB ring) arrives in pieces.
  std::string inbox;  // request bytes taken off the ring, not yet a whole message
  void take_requests() {
    uint32_t cons = ring.req_cons, prod = ring.req_prod;
    if (prod != cons) {
      std::string piece(prod - cons, '\0');
      xs::ring_read(ring.req, cons, {piece.data(), piece.size()});
      inbox += piece;
      ring.req_cons = prod;
    }
    for (;;) {
      if (inbox.size() < xs::kHeaderSize) return;
      auto h = xs::decode_header(std::span<const char, xs::kHeaderSize>(inbox.data(), xs::kHeaderSize));
      ASSERT_TRUE(h) << h.error().message;
      if (inbox.size() < xs::kHeaderSize + h->len) return;
      std::string payload = inbox.substr(xs::kHeaderSize, h->len);
      inbox.erase(0, xs::kHeaderSize + h->len);
      if (!answers) continue;
      if (!answer_order.empty()) {
        held.emplace_back(*h, payload);
        if (held.size() < answer_order.size()) continue;
        for (size_t i : answer_order) answer(held.at(i).first, held.at(i).second);
        held.clear();
        answer_order.clear();
        continue;
      }
      answer(*h, payload);
    }
  }

  std::vector<std::string> strings(const std::string& payload) {
    std::vector<std::string> out;
    xs::for_each_string(payload, [&](std::string_view s) { out.emplace_back(s); });
    return out;
  }

  void answer(const xs::Header& h, const std::string& payload) {
    std::vector<std::string> args = strings(payload);
    std::string path = args.empty() ? "" : args[0];
    switch (h.type) {
      case xs::kRead: {
        auto it = store.find(path);
        if (it == store.end()) return send(h, xs::kError, std::string("ENOENT\0", 7));
        return send(h, h.type, it->second);
      }
      case xs::kWrite: {
        std::string value = payload.substr(path.size() + 1);
        send(h, h.type, std::string("OK\0", 3));
        set(path, value);
        if (on_write) on_write(path, value);
        return;
      }
      case xs::kTransactionStart:
        return send(h, h.type, std::string("1\0", 2));
      case xs::kTransactionEnd:
        return send(h, h.type, std::string("OK\0", 3));
      case xs::kDirectory: {
        std::set<std::string> children;  // the first element below `path` of every key under it
        for (auto& [key, value] : store)
          if (key.rfind(path + "/", 0) == 0) children.insert(key.substr(path.size() + 1, key.find('/', path.size() + 1) - path.size() - 1));
        if (children.empty() && !store.count(path)) return send(h, xs::kError, std::string("ENOENT\0", 7));
        std::string out;
        for (const std::string& c : children) out += c + '\0';
        return send(h, h.type, out);
      }
      case xs::kWatch:
        watches[args.at(1)] = path;
        send(h, h.type, std::string("OK\0", 3));
        return event(path, args.at(1));  // xenstored fires a new watch once at once
      case xs::kUnwatch:
        watches.erase(args.at(1));
        return send(h, h.type, std::string("OK\0", 3));
      default:
        return send(h, xs::kError, std::string("EINVAL\0", 7));
    }
  }

  // A write by anyone (the client, or the test as a backend): watches on it fire.
  void set(const std::string& path, const std::string& value) {
    store[path] = value;
    for (auto& [token, watched] : watches)
      if (path.rfind(watched, 0) == 0) event(path, token);
    flush();
  }

  void event(const std::string& path, const std::string& token) {
    send({xs::kWatchEvent, 0, 0, 0}, xs::kWatchEvent, path + '\0' + token + '\0');
  }

  void send(const xs::Header& request, uint32_t type, const std::string& payload) {
    char raw[xs::kHeaderSize];
    xs::encode_header({type, request.req_id, request.tx_id, uint32_t(payload.size())}, raw);
    outbox.append(raw, sizeof raw);
    outbox.append(payload);
  }

  // As much of the outbox as the response ring has room for (and the test allows).
  void flush() {
    uint32_t used = ring.rsp_prod - ring.rsp_cons;
    size_t room = std::min<size_t>(xs::kRingSize - used, reply_bytes_limit - std::min(written, reply_bytes_limit));
    size_t n = std::min(room, outbox.size());
    if (n == 0) return;
    xs::ring_write(ring.rsp, ring.rsp_prod, {outbox.data(), n});
    ring.rsp_prod += uint32_t(n);
    outbox.erase(0, n);
    written += n;
    ++pieces;
    event_due = true;
  }

  // xenstored's turn, and then the event for what it wrote, if any (and not lost).
  bool interrupt() {
    if (std::exchange(notified, false)) {
      take_requests();
      flush();
    }
    if (!event_due) return false;
    event_due = false;
    if (drop_events) return false;
    handler(port, context);
    return true;
  }
};


extern FakeXenstored* xenstored;
extern std::string logged;  // what the kernel said through kernel::log
extern uint64_t now_ns;     // the fake clock
extern std::set<uint32_t> grants;    // refs granted and not ended
extern std::set<uint32_t> channels;  // ports bound and not closed (xenstore's not counted)
constexpr uint32_t kXenstorePort = 7;

// A fresh start: the scheduler, the fake timer and clock, and the xenstore client connected to
// `store`. Grants and channels left over from an earlier test are forgotten.
void start(FakeXenstored& store);

}  // namespace fake_xen
