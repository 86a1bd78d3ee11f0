// The xenstore client (kernel/xen/xenstore.cpp) on the host, against a fake xenstored that
// serves the other end of the same ring: requests from several threads multiplexed by req_id,
// a reply longer than the ring taken in pieces, a reply that stops mid-message, no reply at all,
// a lost event, hostile ring indexes, watches. The scheduler is the real one with a fake timer
// (as in scheduler_test.cpp); the event channel's interrupt comes when every thread waits.
#include <gtest/gtest.h>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>
#include "context.h"
#include "sched/scheduler.h"
#include "sched/timers.h"
#include "xen/xenstore.h"
#include "xen/xs_wire.h"
#include "xenos/event_channel.h"
#include "xenos/thread.h"
#include "xenos/time.h"
#include "xenos/xenstore.h"

extern "C" {
#include <xen/io/xs_wire.h>
}

namespace xs = xen::xs;

namespace {

std::string logged;  // what the client said through kernel::log
uint64_t fake_now = 1'000'000;
uint64_t armed = 0;

uint64_t fake_now_ns() { return fake_now; }
void fake_arm(uint64_t deadline) { armed = deadline; }
const xenos::TimerDevice kFakeTimer{fake_now_ns, fake_arm};

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

  void take_requests() {
    for (;;) {
      uint32_t cons = ring.req_cons, prod = ring.req_prod;
      if (prod - cons < xs::kHeaderSize) return;
      char raw[xs::kHeaderSize];
      xs::ring_read(ring.req, cons, raw);
      auto h = xs::decode_header(raw);
      ASSERT_TRUE(h) << h.error().message;
      if (prod - cons < xs::kHeaderSize + h->len) return;
      std::string payload(h->len, '\0');
      xs::ring_read(ring.req, cons + xs::kHeaderSize, {payload.data(), payload.size()});
      ring.req_cons = cons + xs::kHeaderSize + h->len;
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
        store[path] = payload.substr(path.size() + 1);
        send(h, h.type, std::string("OK\0", 3));
        for (auto& [token, watched] : watches)
          if (path.rfind(watched, 0) == 0) event(path, token);
        return;
      }
      case xs::kDirectory: {
        std::string out;
        for (auto& [key, value] : store)
          if (key.rfind(path + "/", 0) == 0) out += key.substr(path.size() + 1) + '\0';
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

FakeXenstored* xenstored = nullptr;

// Nothing can run: an event if one is due, else the timer at its deadline.
void wait_for_interrupt() {
  if (xenstored->interrupt()) return;
  if (armed == 0) {
    std::fprintf(stderr, "xenstore_test: deadlock: nothing runnable, no event, no timer\n");
    std::abort();
  }
  if (armed > fake_now) fake_now = armed;
  armed = 0;
  xenos::expire_timers();
}

class XenStoreClient : public ::testing::Test {
 protected:
  void SetUp() override {
    logged.clear();
    fake_now = 1'000'000;
    armed = 0;
    xenstored = &fake;
    arch::host_wait_for_interrupt = wait_for_interrupt;
    xenos::set_timer_device(&kFakeTimer);
    xenos::Scheduler::init();
    ASSERT_TRUE(xen::xenstore_connect(&fake.ring, 7));
  }
  void TearDown() override {
    xenos::yield();
    EXPECT_TRUE(arch::interrupts_enabled());
  }
  double seconds_passed(uint64_t since) const { return double(fake_now - since) / 1e9; }
  FakeXenstored fake;
};

}  // namespace

// ---- what the client takes from the rest of the kernel ----------------------------------------

namespace kernel {
void log(const char* fmt, ...) {
  char line[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  logged += line;
}
}  // namespace kernel

namespace xenos {
uint64_t monotonic_ns() { return fake_now; }

Result<EventChannel> EventChannel::adopt(uint32_t port, EventHandler handler, void* context) {
  xenstored->port = port;
  xenstored->handler = handler;
  xenstored->context = context;
  return EventChannel(port);
}
void EventChannel::notify() const { xenstored->on_notify(); }
void EventChannel::close() { port_ = kNoPort; }
EventChannel& EventChannel::operator=(EventChannel&& other) {
  if (this != &other) port_ = std::exchange(other.port_, kNoPort);
  return *this;
}
}  // namespace xenos

// ---- the tests ---------------------------------------------------------------------------------

TEST_F(XenStoreClient, WritesReadsListsAndNamesThePathOfAnError) {
  ASSERT_TRUE(xenos::xenstore::write("data/a", "1"));
  ASSERT_TRUE(xenos::xenstore::write("data/b", "22"));
  auto a = xenos::xenstore::read("data/b");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(*a, "22");
  auto listing = xenos::xenstore::directory("data");
  ASSERT_TRUE(listing);
  EXPECT_EQ(*listing, (std::vector<std::string>{"a", "b"}));
  auto missing = xenos::xenstore::read("data/none");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_EQ(missing.error().message, "xenstore: no such path: data/none");
}

TEST_F(XenStoreClient, RepliesOutOfOrderReachTheThreadsThatAsked) {
  for (int i = 0; i < 4; ++i) fake.store["k" + std::to_string(i)] = "value " + std::to_string(i);
  fake.answer_order = {2, 0, 3, 1};  // all four requests wait in xenstored, then come back shuffled
  struct Asker {
    int index;
    std::string got;
  } askers[4] = {{0, ""}, {1, ""}, {2, ""}, {3, ""}};
  std::vector<xenos::ThreadHandle> threads;
  for (auto& a : askers) {
    auto t = xenos::spawn(
        "asker",
        [](void* p) {
          auto* a = static_cast<Asker*>(p);
          auto r = xenos::xenstore::read("k" + std::to_string(a->index));
          a->got = r ? *r : "error: " + r.error().message;
        },
        &a);
    ASSERT_TRUE(t);
    threads.push_back(std::move(*t));
  }
  for (auto& t : threads) t.join();
  for (auto& a : askers) EXPECT_EQ(a.got, "value " + std::to_string(a.index));
}

TEST_F(XenStoreClient, AReplyLongerThanTheRingIsTakenInPieces) {
  std::string big(3000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + i % 26);
  fake.store["big"] = big;
  int pieces_before = fake.pieces;
  auto r = xenos::xenstore::read("big");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, big);
  EXPECT_GE(fake.pieces - pieces_before, 3) << "3016 bytes through a 1024-byte ring";
  ASSERT_TRUE(xenos::xenstore::write("after", "ok")) << "the ring is in step after the long reply";
}

TEST_F(XenStoreClient, AReplyThatStopsMidMessageBreaksTheConnectionWithEIO) {
  fake.store["big"] = std::string(3000, 'y');
  fake.reply_bytes_limit = 1500;
  uint64_t start = fake_now;
  auto r = xenos::xenstore::read("big");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EIO);
  EXPECT_NE(r.error().message.find("stopped arriving mid-message"), std::string::npos) << r.error().message;
  EXPECT_GE(seconds_passed(start), 29.9);
  EXPECT_LE(seconds_passed(start), 31.0);
  auto next = xenos::xenstore::read("anything");
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, EIO) << "a broken connection stays broken";
}

TEST_F(XenStoreClient, ARequestNeverAnsweredTimesOutAfterThirtySeconds) {
  fake.answers = false;
  uint64_t start = fake_now;
  auto r = xenos::xenstore::read("silence");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ETIMEDOUT);
  EXPECT_GE(seconds_passed(start), 30.0);
  EXPECT_LE(seconds_passed(start), 30.5);
  EXPECT_NE(logged.find("no reply to request"), std::string::npos) << logged;
  fake.answers = true;
  EXPECT_TRUE(xenos::xenstore::write("later", "1")) << "a timeout does not break the connection";
}

TEST_F(XenStoreClient, AReplyWhoseEventIsLostIsFoundByTheRecheck) {
  fake.store["k"] = "v";
  fake.drop_events = true;
  uint64_t start = fake_now;
  auto r = xenos::xenstore::read("k");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "v");
  EXPECT_NEAR(seconds_passed(start), 0.25, 0.01) << "found by the 250 ms re-check, not the 30 s deadline";
  EXPECT_NE(logged.find("found by the 250 ms re-check"), std::string::npos) << logged;
  EXPECT_NE(logged.find("no event came"), std::string::npos) << logged;
}

TEST_F(XenStoreClient, HostileRingIndexesBreakTheConnectionNotMemory) {
  fake.answers = false;
  fake.ring.rsp_prod = fake.ring.rsp_cons + 5000;  // claims more than the 1024-byte ring holds
  fake.event_due = true;
  auto r = xenos::xenstore::read("k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EIO);
  EXPECT_NE(logged.find("connection broken"), std::string::npos) << logged;
}

TEST_F(XenStoreClient, AReplyWithAnOversizedLengthBreaksTheConnection) {
  fake.answers = false;
  char raw[xs::kHeaderSize];
  xs::encode_header({xs::kRead, 1, 0, 0}, raw);
  uint32_t huge = xs::kPayloadMax + 1;
  std::memcpy(raw + 12, &huge, 4);  // len, past XENSTORE_PAYLOAD_MAX
  fake.outbox.assign(raw, sizeof raw);
  fake.flush();
  auto r = xenos::xenstore::read("k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EIO);
}

TEST_F(XenStoreClient, WatchEventsReachTheirWatchInOrder) {
  auto w = xenos::xenstore::watch("dev");
  ASSERT_TRUE(w) << w.error().message;
  auto first = w->next(fake_now + 1'000'000'000);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, "dev") << "a new watch fires once at once";
  ASSERT_TRUE(xenos::xenstore::write("dev/state", "4"));
  ASSERT_TRUE(xenos::xenstore::write("other", "x"));
  ASSERT_TRUE(xenos::xenstore::write("dev/ring", "8"));
  auto a = w->next(fake_now + 1'000'000'000);
  auto b = w->next(fake_now + 1'000'000'000);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, "dev/state");
  EXPECT_EQ(*b, "dev/ring");
  auto none = w->next(fake_now + 1'000'000'000);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ETIMEDOUT);
}
