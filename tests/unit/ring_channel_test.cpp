// iohost's Xen 9pfs rings on plain memory (iohost/transport/ring_channel.cpp): the guest's side
// is played here, honest and hostile, with small rings so that wrapping is easy to reach.
#include "transport/ring_channel.h"
#include <gtest/gtest.h>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>
#include "common/flex_ring.h"
#include "p9/codec.h"

extern "C" {
#include <xen/io/9pfs.h>
}

using iohost::AfterRequest;
using iohost::DeviceRings;
using iohost::RequestHandler;
using iohost::RingChannel;

namespace {

constexpr uint32_t kRing = 256;        // bytes per direction
constexpr uint32_t kMsize = kRing / 2;  // what iohost allows: half the smallest ring

// A 9P message as the guest frames it: size[4] type[1] tag[2], then `body` bytes.
std::vector<std::byte> message(uint16_t tag, size_t body, uint8_t type = 100 /* Tversion */) {
  std::vector<std::byte> m(7 + body);
  uint32_t size = uint32_t(m.size());
  for (int i = 0; i < 4; ++i) m[i] = std::byte(size >> (8 * i));
  m[4] = std::byte(type);
  m[5] = std::byte(tag & 0xff);
  m[6] = std::byte(tag >> 8);
  for (size_t i = 7; i < m.size(); ++i) m[i] = std::byte(i * 7 + tag);
  return m;
}

// A size[4] field alone, as a hostile guest may write it in front of anything.
std::vector<std::byte> size_field(uint32_t size) {
  return {std::byte(size), std::byte(size >> 8), std::byte(size >> 16), std::byte(size >> 24)};
}

// One ring's memory as the guest shares it, and the guest's side of the protocol.
struct GuestRing {
  explicit GuestRing(uint32_t size = kRing) : ring_size(size), data(2 * size_t(size)) {}

  std::unique_ptr<RingChannel> channel(uint32_t msize = kMsize) {
    auto c = RingChannel::over(*intf, data, msize, [this] { ++notified; });
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
  }
  std::byte* in() { return data.data(); }
  std::byte* out() { return data.data() + ring_size; }

  // Both indexes of a direction at `at`, as after a long conversation.
  void start_out_at(uint32_t at) { intf->out_cons = intf->out_prod = at; }
  void start_in_at(uint32_t at) { intf->in_cons = intf->in_prod = at; }

  // Writes `bytes` at out_prod and publishes the first `publish` of them (all by default).
  void send(std::span<const std::byte> bytes, std::optional<size_t> publish = std::nullopt) {
    xen::flex_write(out(), ring_size, intf->out_prod, bytes);
    intf->out_prod += uint32_t(publish.value_or(bytes.size()));
  }
  // The next whole reply in the in half, taken (in_cons advanced), or nothing.
  std::optional<std::vector<std::byte>> take_reply() {
    xen::NextMessage next = xen::next_message(in(), ring_size, intf->in_cons, intf->in_prod, ring_size);
    if (next.state != xen::NextMessage::kReady) return std::nullopt;
    std::vector<std::byte> reply(next.size);
    xen::flex_read(in(), ring_size, intf->in_cons, reply);
    intf->in_cons += next.size;
    return reply;
  }

  uint32_t ring_size;
  std::unique_ptr<xen_9pfs_data_intf> intf = std::make_unique<xen_9pfs_data_intf>();
  std::vector<std::byte> data;  // in, then out
  int notified = 0;
};

// A handler that keeps every request and asks for more.
struct Collected {
  std::vector<std::vector<std::byte>> requests;
  RequestHandler handler() {
    return [this](std::span<const std::byte> r) -> p9::Result<AfterRequest> {
      requests.emplace_back(r.begin(), r.end());
      return AfterRequest::kReadMore;
    };
  }
};

uint16_t tag_of(const std::vector<std::byte>& m) { return p9::read_le16(m.data() + 5); }

// ---- requests ----------------------------------------------------------------------------------

TEST(RingChannel, ARequestSplitAcrossTheWrapArrivesWhole) {
  GuestRing g;
  g.start_out_at(200);  // 56 bytes to the end of the ring: the request's tail is at its start
  auto ring = g.channel();
  auto sent = message(1, 90);
  g.send(sent);
  Collected c;
  ASSERT_TRUE(ring->read_requests(c.handler()));
  ASSERT_EQ(c.requests.size(), 1u);
  EXPECT_EQ(c.requests[0], sent);
  EXPECT_EQ(g.intf->out_cons, 200u + sent.size());
  EXPECT_EQ(g.notified, 1);
}

TEST(RingChannel, SeveralRequestsInOneBatchArriveInOrderWithOneNotification) {
  GuestRing g;
  auto ring = g.channel();
  std::vector<std::vector<std::byte>> sent{message(1, 10), message(2, 0), message(3, 50)};
  for (auto& m : sent) g.send(m);
  Collected c;
  ASSERT_TRUE(ring->read_requests(c.handler()));
  EXPECT_EQ(c.requests, sent);
  EXPECT_EQ(g.intf->out_cons, g.intf->out_prod);
  EXPECT_EQ(g.notified, 1) << "one notification for the batch, not one per request";
}

TEST(RingChannel, TheGuestGetsItsSpaceBackBeforeTheRequestIsServed) {
  GuestRing g;
  auto ring = g.channel();
  g.send(message(1, 20));
  uint32_t cons_seen = 0;
  ASSERT_TRUE(ring->read_requests([&](std::span<const std::byte>) -> p9::Result<AfterRequest> {
    cons_seen = g.intf->out_cons;
    return AfterRequest::kReadMore;
  }));
  EXPECT_EQ(cons_seen, g.intf->out_prod);
}

TEST(RingChannel, IndexesThatWrapPast2To32StillFrameEveryRequest) {
  GuestRing g;
  g.start_out_at(UINT32_MAX - 30);
  auto ring = g.channel();
  std::vector<std::vector<std::byte>> sent{message(1, 40), message(2, 60)};
  for (auto& m : sent) g.send(m);
  Collected c;
  ASSERT_TRUE(ring->read_requests(c.handler()));
  EXPECT_EQ(c.requests, sent);
  EXPECT_EQ(g.intf->out_cons, uint32_t(UINT32_MAX - 30 + 47 + 67));
}

TEST(RingChannel, ARequestWhoseRestIsStillComingWaitsForIt) {
  GuestRing g;
  auto ring = g.channel();
  auto sent = message(1, 60);
  Collected c;
  g.send(sent, 2);  // not even its size field yet
  ASSERT_TRUE(ring->read_requests(c.handler()));
  g.intf->out_prod = 30;  // the size field and part of the rest
  ASSERT_TRUE(ring->read_requests(c.handler()));
  EXPECT_TRUE(c.requests.empty());
  EXPECT_EQ(g.intf->out_cons, 0u);
  EXPECT_EQ(g.notified, 0) << "nothing was taken";
  g.intf->out_prod = uint32_t(sent.size());
  ASSERT_TRUE(ring->read_requests(c.handler()));
  ASSERT_EQ(c.requests.size(), 1u);
  EXPECT_EQ(c.requests[0], sent);
}

// A hostile ring: the error says what was wrong, nothing is read or consumed, nobody notified.
void expect_broken(GuestRing& g, RingChannel& ring, const char* why) {
  uint32_t cons = g.intf->out_cons;
  Collected c;
  auto r = ring.read_requests(c.handler());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EPROTO);
  EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
  EXPECT_TRUE(c.requests.empty());
  EXPECT_EQ(g.intf->out_cons, cons);
  EXPECT_EQ(g.notified, 0);
}

TEST(RingChannel, ASizeFieldAboveMsizeBreaksTheRingBeforeItsBytesArrive) {
  GuestRing g;
  auto ring = g.channel();
  g.send(size_field(kMsize + 1));  // it could never end: waiting for it would hang the ring
  expect_broken(g, *ring, "above msize");
}

TEST(RingChannel, ASizeFieldLargerThanTheRingBreaksIt) {
  GuestRing g;
  auto ring = g.channel(1u << 20);  // even with an msize that would allow it
  g.send(size_field(kRing + 1));
  expect_broken(g, *ring, "larger than the ring");
  GuestRing g2;
  auto ring2 = g2.channel(1u << 20);
  g2.send(size_field(0xffffffffu));
  expect_broken(g2, *ring2, "larger than the ring");
}

TEST(RingChannel, ASizeFieldBelowA9PHeaderBreaksTheRing) {
  for (uint32_t size : {0u, 4u, 6u}) {
    GuestRing g;
    auto ring = g.channel();
    auto bytes = size_field(size);
    bytes.resize(7);
    g.send(bytes);
    expect_broken(g, *ring, "below a 9P header");
  }
}

TEST(RingChannel, AProducerFarAheadOfTheConsumerBreaksTheRing) {
  for (uint32_t ahead : {kRing + 1, 0x80000000u, 0xfffffff0u}) {
    GuestRing g;
    g.start_out_at(1000);
    auto ring = g.channel();
    g.send(message(1, 10));
    g.intf->out_prod = 1000 + ahead;
    expect_broken(g, *ring, "indexes claim more than the ring");
  }
}

TEST(RingChannel, AProducerGoingBackwardsBreaksTheRing) {
  GuestRing g;
  auto ring = g.channel();
  g.send(message(1, 10));
  Collected c;
  ASSERT_TRUE(ring->read_requests(c.handler()));
  g.notified = 0;
  g.intf->out_prod -= 1;  // behind what iohost has already consumed
  expect_broken(g, *ring, "indexes claim more than the ring");
}

TEST(RingChannel, AHandlerErrorStopsReadingAndIsTheRingsError) {
  GuestRing g;
  auto ring = g.channel();
  g.send(message(1, 0));
  g.send(message(2, 0));
  int calls = 0;
  auto r = ring->read_requests([&](std::span<const std::byte>) -> p9::Result<AfterRequest> {
    ++calls;
    return p9::Error{EIO, "session ended"};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "session ended");
  EXPECT_EQ(calls, 1);
}

TEST(RingChannel, AHandlerThatStopsLeavesTheRestUnreadAndTouchesNothing) {
  GuestRing g;
  auto ring = g.channel();
  auto first = message(1, 0);
  g.send(first);
  g.send(message(2, 0));
  int calls = 0;
  ASSERT_TRUE(ring->read_requests([&](std::span<const std::byte>) -> p9::Result<AfterRequest> {
    ++calls;
    return AfterRequest::kStop;
  }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(g.intf->out_cons, first.size());
  EXPECT_EQ(g.notified, 0) << "the device went away: its channel is not notified";
}

// ---- replies -----------------------------------------------------------------------------------

TEST(RingChannel, AReplyIsPublishedWholeAndTheGuestNotified) {
  GuestRing g;
  g.start_in_at(230);  // the reply wraps
  auto ring = g.channel();
  auto reply = message(5, 80, 101);
  ASSERT_TRUE(ring->send(reply));
  EXPECT_EQ(g.intf->in_prod, 230u + reply.size());
  EXPECT_EQ(g.notified, 1);
  EXPECT_EQ(g.take_reply(), reply);
}

TEST(RingChannel, AReplyLargerThanTheFreeSpaceWaitsAndIsPublishedOnceTheGuestMakesRoom) {
  GuestRing g;
  auto ring = g.channel();
  auto first = message(1, 193, 101), second = message(2, 93, 101);  // 200 + 100 > 256
  ASSERT_TRUE(ring->send(first));
  ASSERT_TRUE(ring->send(second));
  EXPECT_EQ(ring->waiting_replies(), 1u);
  EXPECT_EQ(g.intf->in_prod, first.size()) << "nothing of the second is published";
  EXPECT_EQ(g.notified, 1);
  ASSERT_TRUE(ring->flush_replies());  // a notification with no room made: still waits
  EXPECT_EQ(ring->waiting_replies(), 1u);
  EXPECT_EQ(g.notified, 1);
  EXPECT_EQ(g.take_reply(), first);
  ASSERT_TRUE(ring->flush_replies());
  EXPECT_EQ(ring->waiting_replies(), 0u);
  EXPECT_EQ(g.notified, 2);
  EXPECT_EQ(g.take_reply(), second);
}

TEST(RingChannel, RepliesArePublishedInTheOrderSentAndASmallOneDoesNotOvertake) {
  GuestRing g;
  auto ring = g.channel();
  auto filler = message(1, 193, 101), big = message(2, 113, 101), small = message(3, 3, 101);
  ASSERT_TRUE(ring->send(filler));
  ASSERT_TRUE(ring->send(big));    // 120 bytes: does not fit in the 56 left
  ASSERT_TRUE(ring->send(small));  // 10 bytes would fit, but its turn is after big's
  EXPECT_EQ(ring->waiting_replies(), 2u);
  EXPECT_EQ(g.intf->in_prod, filler.size());
  EXPECT_EQ(g.take_reply(), filler);
  ASSERT_TRUE(ring->flush_replies());
  EXPECT_EQ(g.take_reply(), big);
  EXPECT_EQ(g.take_reply(), small);
  EXPECT_EQ(g.take_reply(), std::nullopt);
}

TEST(RingChannel, WhileRepliesWaitForRoomTheRingsRequestsWaitToo) {
  GuestRing g;
  auto ring = g.channel();
  ASSERT_TRUE(ring->send(message(1, 193, 101)));
  ASSERT_TRUE(ring->send(message(2, 93, 101)));  // waits
  g.send(message(3, 10));
  Collected c;
  ASSERT_TRUE(ring->read_requests(c.handler()));
  EXPECT_TRUE(c.requests.empty()) << "a guest that does not read its replies stalls itself";
  EXPECT_EQ(g.intf->out_cons, 0u);
  g.take_reply();
  ASSERT_TRUE(ring->flush_replies());
  ASSERT_TRUE(ring->read_requests(c.handler()));
  ASSERT_EQ(c.requests.size(), 1u);
  EXPECT_EQ(tag_of(c.requests[0]), 3);
}

TEST(RingChannel, AHostileReplyConsumerBreaksTheRing) {
  for (uint32_t in_cons : {300u, 0xfffffe00u}) {  // in_prod (0) - in_cons: more than the ring holds
    GuestRing g;
    g.intf->in_cons = in_cons;
    auto ring = g.channel();
    auto r = ring->send(message(1, 10, 101));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, EPROTO);
    EXPECT_NE(r.error().message.find("indexes claim more than the ring"), std::string::npos);
    EXPECT_EQ(g.intf->in_prod, 0u);
    EXPECT_EQ(g.notified, 0);
  }
}

TEST(RingChannel, AReplyLargerThanTheRingIsRefusedRatherThanStallingIt) {
  GuestRing g;
  auto ring = g.channel();
  auto r = ring->send(message(1, kRing, 101));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EMSGSIZE);
  EXPECT_EQ(ring->waiting_replies(), 0u);
}

TEST(RingChannel, DataThatIsNotTwoPowerOfTwoHalvesIsRefused) {
  xen_9pfs_data_intf intf{};
  for (size_t size : {0u, 1u, 300u, 4096u * 3}) {
    std::vector<std::byte> data(size);
    EXPECT_FALSE(RingChannel::over(intf, data, kMsize, [] {})) << size;
  }
  std::vector<std::byte> data(2 * kRing);
  auto ring = RingChannel::over(intf, data, kMsize, [] {});
  ASSERT_TRUE(ring);
  EXPECT_EQ((*ring)->ring_size(), kRing);
}

// ---- a device's rings: the reply lane -------------------------------------------------------

struct Device {
  explicit Device(size_t count) : guests(count) {
    for (GuestRing& g : guests) rings.add(g.channel());
  }
  std::vector<GuestRing> guests;
  DeviceRings rings;
};

TEST(DeviceRings, AReplyGoesBackOnTheRingItsRequestCameOn) {
  Device d(2);
  d.guests[0].send(message(4, 0));
  d.guests[1].send(message(7, 0));
  // As a session answers inline: from inside the handler, the reply's tag as its lane.
  ASSERT_TRUE(d.rings.service([&](std::span<const std::byte> r) -> p9::Result<AfterRequest> {
    uint16_t tag = p9::read_le16(r.data() + 5);
    d.rings.send(message(tag, 3, 101), tag);
    return AfterRequest::kReadMore;
  }));
  auto on0 = d.guests[0].take_reply(), on1 = d.guests[1].take_reply();
  ASSERT_TRUE(on0 && on1);
  EXPECT_EQ(tag_of(*on0), 4);
  EXPECT_EQ(tag_of(*on1), 7);
}

TEST(DeviceRings, AReplyLongAfterItsRequestStillFindsTheRing) {
  Device d(3);
  d.guests[2].send(message(9, 0));
  Collected c;
  ASSERT_TRUE(d.rings.service(c.handler()));
  d.rings.send(message(9, 3, 101), 9);  // from the worker pool, later, on the loop
  EXPECT_EQ(d.guests[0].take_reply(), std::nullopt);
  EXPECT_EQ(d.guests[1].take_reply(), std::nullopt);
  auto reply = d.guests[2].take_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(tag_of(*reply), 9);
}

TEST(DeviceRings, MoreRingsThanATagTableByteHoldsBreakTheDevice) {
  Device d(DeviceRings::kMaxRings);
  EXPECT_EQ(d.rings.size(), DeviceRings::kMaxRings);
  EXPECT_EQ(d.rings.broken(), "");
  GuestRing one_more;
  d.rings.add(one_more.channel());
  EXPECT_EQ(d.rings.size(), DeviceRings::kMaxRings);
  EXPECT_NE(d.rings.broken(), "");
  Collected c;
  EXPECT_FALSE(d.rings.service(c.handler()));
}

TEST(DeviceRings, TheLastRingOfTheMostAnswersOnItself) {
  Device d(DeviceRings::kMaxRings);
  d.guests.back().send(message(65535, 0));
  Collected c;
  ASSERT_TRUE(d.rings.service(c.handler()));
  d.rings.send(message(65535, 3, 101), 65535);
  auto reply = d.guests.back().take_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(tag_of(*reply), 65535);
  EXPECT_EQ(d.guests[0].take_reply(), std::nullopt);
}

TEST(DeviceRings, AReplyWhoseTagWasNeverSeenGoesOnRingZero) {
  Device d(2);
  d.rings.send(message(42, 3, 101), 42);
  EXPECT_TRUE(d.guests[0].take_reply());
  EXPECT_EQ(d.guests[1].take_reply(), std::nullopt);
}

TEST(DeviceRings, RepliesOnOneRingKeepTheirOrderWhileAnotherRingMovesOn) {
  Device d(2);
  d.guests[0].send(message(1, 0));
  d.guests[0].send(message(3, 0));
  d.guests[1].send(message(2, 0));
  Collected c;
  ASSERT_TRUE(d.rings.service(c.handler()));
  d.rings.send(message(1, 193, 101), 1);
  d.rings.send(message(3, 93, 101), 3);  // waits behind 1 on ring 0
  d.rings.send(message(2, 3, 101), 2);   // ring 1 is not held up by ring 0
  EXPECT_EQ(d.rings.ring(0).waiting_replies(), 1u);
  auto on1 = d.guests[1].take_reply();
  ASSERT_TRUE(on1);
  EXPECT_EQ(tag_of(*on1), 2);
  auto first = d.guests[0].take_reply();
  ASSERT_TRUE(first);
  EXPECT_EQ(tag_of(*first), 1);
  ASSERT_TRUE(d.rings.service(c.handler()));  // the guest's notification: room now
  auto second = d.guests[0].take_reply();
  ASSERT_TRUE(second);
  EXPECT_EQ(tag_of(*second), 3);
}

TEST(DeviceRings, AReplyThatCannotBePublishedBreaksTheDeviceAndStopsItsReading) {
  Device d(1);
  d.guests[0].intf->in_cons = 1000;  // hostile: claims more than the ring holds
  d.guests[0].send(message(1, 0));
  d.guests[0].send(message(2, 0));
  int calls = 0;
  auto r = d.rings.service([&](std::span<const std::byte> req) -> p9::Result<AfterRequest> {
    ++calls;
    uint16_t tag = p9::read_le16(req.data() + 5);
    d.rings.send(message(tag, 3, 101), tag);
    return AfterRequest::kReadMore;
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(calls, 1);
  EXPECT_NE(d.rings.broken().find("indexes claim more than the ring"), std::string::npos) << d.rings.broken();
  EXPECT_EQ(r.error().message, d.rings.broken());
}

TEST(DeviceRings, AHostileRingFailsTheServiceWithItsReason) {
  Device d(2);
  d.guests[1].send(size_field(kMsize + 1));
  Collected c;
  auto r = d.rings.service(c.handler());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("above msize"), std::string::npos) << r.error().message;
}

TEST(DeviceRings, AHandlerThatStopsEndsTheServiceAtOnce) {
  Device d(2);
  d.guests[0].send(message(1, 0));
  d.guests[0].send(message(2, 0));
  d.guests[1].send(message(3, 0));
  int calls = 0;
  ASSERT_TRUE(d.rings.service([&](std::span<const std::byte>) -> p9::Result<AfterRequest> {
    ++calls;
    return AfterRequest::kStop;
  }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(d.guests[1].intf->out_cons, 0u);
}

TEST(DeviceRings, ANotificationPublishesWaitingRepliesBeforeReadingRequests) {
  Device d(1);
  GuestRing& g = d.guests[0];
  d.rings.send(message(1, 193, 101), 1);
  d.rings.send(message(2, 93, 101), 2);  // waits for room
  g.send(message(5, 0));
  g.take_reply();  // room now; then the guest notifies
  Collected c;
  ASSERT_TRUE(d.rings.service(c.handler()));
  EXPECT_EQ(d.rings.ring(0).waiting_replies(), 0u);
  ASSERT_EQ(c.requests.size(), 1u) << "the ring is no longer held back";
  EXPECT_EQ(tag_of(c.requests[0]), 5);
}

}  // namespace
