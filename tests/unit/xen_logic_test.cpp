// Host tests of the Xen services' pure logic: the 2-level pending scan, pvclock arithmetic,
// grant bookkeeping and ending, the xenstore wire format and its malformed cases.
#include <gtest/gtest.h>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>
#include "xen/grant_end.h"
#include "xen/grant_refs.h"
#include "xen/pending_scan.h"
#include "xen/pvclock.h"
#include "xen/xs_wire.h"

namespace xs = xen::xs;

TEST(PendingScan, DeliversPendingUnmaskedPortsInOrderAndClearsThem) {
  uint64_t pending[4] = {0b1010, 0, uint64_t(1) << 63, 0};
  uint64_t mask[4] = {0b1000, 0, 0, 0};
  std::vector<unsigned> ports;
  unsigned n = xen::scan_pending(0b101, pending, mask, 4, [&](unsigned p) { ports.push_back(p); });
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(ports, (std::vector<unsigned>{1, 2 * 64 + 63}));
  EXPECT_EQ(pending[0], 0b1000u);  // the masked port stays pending for its unmask
  EXPECT_EQ(pending[2], 0u);
}

TEST(PendingScan, IgnoresSelectorBitsBeyondTheBitmap) {
  uint64_t pending[1] = {1};
  uint64_t mask[1] = {0};
  unsigned n = xen::scan_pending(~uint64_t(0), pending, mask, 1, [](unsigned) {});
  EXPECT_EQ(n, 1u);
}

TEST(PendingScan, KeepsAnEventRaisedDuringDelivery) {
  uint64_t pending[1] = {0b1};
  uint64_t mask[1] = {0};
  std::vector<unsigned> ports;
  xen::scan_pending(1, pending, mask, 1, [&](unsigned p) {
    ports.push_back(p);
    if (ports.size() == 1) pending[0] |= 0b100;  // another port fires while we handle port 0
  });
  EXPECT_EQ(ports, (std::vector<unsigned>{0, 2}));
}

TEST(Pvclock, ScalesWithShiftAndMultiplier) {
  // 2 GHz TSC: mul_frac = 2^32 / 2 with shift 0 gives 0.5 ns per tick.
  EXPECT_EQ(xen::pvclock_scale(2000, 0x80000000u, 0), 1000u);
  EXPECT_EQ(xen::pvclock_scale(2000, 0x80000000u, 1), 2000u);
  EXPECT_EQ(xen::pvclock_scale(2000, 0x80000000u, -1), 500u);
  // Large deltas do not overflow the 64-bit product (128-bit intermediate).
  EXPECT_EQ(xen::pvclock_scale(uint64_t(1) << 62, 0xffffffffu, 0),
            ((uint64_t(1) << 62) / 4294967296.0) * 0xffffffffu);
}

TEST(Pvclock, AddsSystemTimeAndNeverGoesBackForAnEarlyTsc) {
  EXPECT_EQ(xen::pvclock_ns(1500, 1000, 7000, 0x80000000u, 0), 7250u);
  EXPECT_EQ(xen::pvclock_ns(900, 1000, 7000, 0x80000000u, 0), 7000u);
}

// Seen on Xen 4.17 (PVH, in QEMU): a record stamped before the guest's TSC started, so its
// tsc_timestamp is "negative". The clock must run from it, not hold still until Xen's next
// update (it did: timings of 0 us, then a 30 s stall in a handshake).
TEST(Pvclock, ANegativeTscTimestampStillGivesTheElapsedTime) {
  uint64_t stamp = 0xfffffffff99f63a0ull;  // -0x6609c60
  uint64_t tsc = 0x68441446ull;
  EXPECT_EQ(xen::pvclock_ns(tsc, stamp, 1000, 0x80000000u, 0), 1000u + (tsc + 0x6609c60ull) / 2);
  EXPECT_EQ(xen::pvclock_ns(0, stamp, 1000, 0x80000000u, 0), 1000u + 0x6609c60ull / 2);
}

TEST(GrantRefs, SkipsReservedRefsAndGrowsByFrames) {
  xen::GrantRefs refs;
  EXPECT_FALSE(refs.take());
  refs.add_frame();
  EXPECT_EQ(refs.free_count(), 512u - 8u);
  EXPECT_EQ(refs.take(), 8u);
  EXPECT_EQ(refs.take(), 9u);
  for (uint32_t i = 0; i < 502; ++i) ASSERT_TRUE(refs.take());
  EXPECT_FALSE(refs.take());
  refs.add_frame();
  EXPECT_EQ(refs.take(), 512u);
  EXPECT_EQ(refs.in_use(), 505u);
}

TEST(GrantRefs, RefusesToTakeBackARefNotInUse) {
  xen::GrantRefs refs;
  refs.add_frame();
  auto r = refs.take();
  refs.give_back(*r);
  EXPECT_THROW(refs.give_back(*r), std::logic_error);
  EXPECT_THROW(refs.give_back(3), std::logic_error);
  EXPECT_THROW(refs.give_back(100000), std::logic_error);
}

TEST(GrantEnd, RefusesWhileThePeerReadsOrWrites) {
  volatile uint16_t flags = 1 /* permit_access */ | xen::kGtfReading;
  EXPECT_FALSE(xen::try_end_access(&flags));
  EXPECT_EQ(flags, 1 | xen::kGtfReading);
  flags = 1 | xen::kGtfWriting;
  EXPECT_FALSE(xen::try_end_access(&flags));
  flags = 1 | 4 /* readonly */;
  EXPECT_TRUE(xen::try_end_access(&flags));
  EXPECT_EQ(flags, 0);
}

namespace {
std::vector<char> header_bytes(uint32_t type, uint32_t id, uint32_t tx, uint32_t len) {
  std::vector<char> b(16);
  uint32_t v[4] = {type, id, tx, len};
  std::memcpy(b.data(), v, 16);
  return b;
}
}  // namespace

TEST(XenStoreWire, HeaderRoundTrip) {
  char raw[16];
  xs::encode_header({xs::kWrite, 7, 3, 12}, raw);
  auto h = xs::decode_header(raw);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, xs::kWrite);
  EXPECT_EQ(h->req_id, 7u);
  EXPECT_EQ(h->tx_id, 3u);
  EXPECT_EQ(h->len, 12u);
}

TEST(XenStoreWire, RejectsReplyLongerThanPayloadMax) {
  auto b = header_bytes(xs::kRead, 1, 0, 4097);
  auto h = xs::decode_header(std::span<const char, 16>(b.data(), 16));
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, EIO);
}

TEST(XenStoreWire, RejectsUnknownType) {
  for (uint32_t type : {20u, 23u, 999u, 0xffffffffu}) {
    auto b = header_bytes(type, 1, 0, 0);
    EXPECT_FALSE(xs::decode_header(std::span<const char, 16>(b.data(), 16))) << type;
  }
}

TEST(XenStoreWire, RingIndexesClaimingMoreThanTheRingAreHostile) {
  EXPECT_EQ(*xs::ring_used(10, 10), 0u);
  EXPECT_EQ(*xs::ring_used(0xfffffff0u, 0x10u), 0x20u);  // free-running wrap-around
  EXPECT_EQ(*xs::ring_used(0, 1024), 1024u);
  EXPECT_FALSE(xs::ring_used(0, 1025));
  EXPECT_FALSE(xs::ring_used(5, 4));  // prod behind cons
}

TEST(XenStoreWire, RingReadAndWriteWrapAround) {
  std::vector<char> ring(xs::kRingSize, 0);
  std::string msg = "wrapping message";
  xs::ring_write(ring.data(), 1020 + 1024 * 5, {msg.data(), msg.size()});
  EXPECT_EQ(std::string(ring.data() + 1020, 4), "wrap");
  std::string back(msg.size(), '\0');
  xs::ring_read(ring.data(), 1020 + 1024 * 5, {back.data(), back.size()});
  EXPECT_EQ(back, msg);
}

TEST(XenStoreWire, ErrorNamesMapToErrno) {
  EXPECT_EQ(xs::errno_from_name("ENOENT"), ENOENT);
  EXPECT_EQ(xs::errno_from_name("EAGAIN"), EAGAIN);
  EXPECT_EQ(xs::errno_from_name("EACCES"), EACCES);
  EXPECT_EQ(xs::errno_from_name("ENOTANERROR"), EIO);
  EXPECT_EQ(xs::errno_from_name(""), EIO);
}

TEST(XenStoreWire, SplitsNulSeparatedPayloadsIncludingAnUnterminatedTail) {
  std::vector<std::string> parts;
  xs::for_each_string(std::string_view("a\0bc\0\0d", 7), [&](std::string_view s) { parts.emplace_back(s); });
  EXPECT_EQ(parts, (std::vector<std::string>{"a", "bc", "", "d"}));
}

#include "common/flex_ring.h"

TEST(FlexRing, QueuedBytesAcrossWrapAroundAndHostileIndexes) {
  EXPECT_EQ(*xen::flex_queued(10, 10, 4096), 0u);                 // empty
  EXPECT_EQ(*xen::flex_queued(4096, 0, 4096), 4096u);             // full
  EXPECT_EQ(*xen::flex_queued(0x10u, 0xfffffff0u, 4096), 0x20u);  // indexes wrapped past 2^32
  EXPECT_FALSE(xen::flex_queued(4097, 0, 4096));                  // claims more than the ring
  EXPECT_FALSE(xen::flex_queued(0, 1, 4096));                     // prod behind cons
}

TEST(FlexRing, CopiesWrapAtTheRingSize) {
  std::vector<std::byte> ring(16, std::byte{0});
  std::string in = "0123456789";
  auto bytes = std::span(reinterpret_cast<const std::byte*>(in.data()), in.size());
  xen::flex_write(ring.data(), 16, 16 * 1000 + 12, bytes);  // starts 4 before the end
  EXPECT_EQ(char(ring[12]), '0');
  EXPECT_EQ(char(ring[15]), '3');
  EXPECT_EQ(char(ring[0]), '4');
  std::vector<std::byte> out(10);
  xen::flex_read(ring.data(), 16, 12, out);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out.data()), 10), in);
  std::vector<std::byte> whole(16);
  xen::flex_write(ring.data(), 16, 3, std::span(whole));  // a full-ring copy from an odd start
  xen::flex_read(ring.data(), 16, 3, whole);
}

namespace {
void put_size(std::vector<std::byte>& ring, uint32_t at, uint32_t size) {
  for (int i = 0; i < 4; ++i) ring[(at + i) % ring.size()] = std::byte(size >> (8 * i));
}
}  // namespace

TEST(FlexRing, NextMessageIsFramedBySizeAndChecked) {
  std::vector<std::byte> ring(64);
  EXPECT_EQ(xen::next_message(ring.data(), 64, 5, 5, 64).state, xen::NextMessage::kNone);
  EXPECT_EQ(xen::next_message(ring.data(), 64, 5, 7, 64).state, xen::NextMessage::kPartial);
  put_size(ring, 62, 20);  // size[4] itself wraps around the end of the ring
  EXPECT_EQ(xen::next_message(ring.data(), 64, 62, 62 + 10, 64).state, xen::NextMessage::kPartial);
  auto ready = xen::next_message(ring.data(), 64, 62, 62 + 20, 64);
  EXPECT_EQ(ready.state, xen::NextMessage::kReady);
  EXPECT_EQ(ready.size, 20u);
}

TEST(FlexRing, HostileMessagesAreRecognisedWithTheirReason) {
  std::vector<std::byte> ring(64);
  auto why = [&](uint32_t cons, uint32_t prod, uint32_t msize) {
    auto next = xen::next_message(ring.data(), 64, cons, prod, msize);
    EXPECT_EQ(next.state, xen::NextMessage::kHostile);
    return std::string(next.why ? next.why : "");
  };
  put_size(ring, 0, 3);  // below a 9P header
  EXPECT_NE(why(0, 10, 64).find("below a 9P header"), std::string::npos);
  put_size(ring, 0, 60);  // fits the ring but exceeds msize 32
  EXPECT_NE(why(0, 64, 32).find("above msize"), std::string::npos);
  // A message that could never end: only its header is there and it claims more than msize.
  // Judged at once from size[4], not left waiting for bytes that may never come.
  EXPECT_NE(why(0, 7, 32).find("above msize"), std::string::npos);
  put_size(ring, 0, 1000);  // larger than the ring itself
  EXPECT_NE(why(0, 64, 4096).find("larger than the ring"), std::string::npos);
  put_size(ring, 60, 0xfffffff0u);  // a huge size[4] that wraps around the ring's end
  EXPECT_NE(why(60, 60 + 7, 4096).find("larger than the ring"), std::string::npos);
  // Indexes that claim more than the ring holds, also across the index wrap-around.
  auto lie = xen::next_message(ring.data(), 64, 0, 65, 64);
  EXPECT_EQ(lie.state, xen::NextMessage::kHostile);
  EXPECT_NE(why(0xfffffff0u, 0xfffffff0u + 65, 64).find("more than the ring"), std::string::npos);
  EXPECT_NE(why(100, 99, 64).find("more than the ring"), std::string::npos);  // prod behind cons
  EXPECT_NE(std::string(lie.why).find("more than the ring"), std::string::npos);
}

#include "xen/ring_budget.h"

TEST(RingBudget, ALargeGuestGetsEveryRingAtTheFullOrder) {
  xen::RingPlan p = xen::plan_rings(8, 9, xen::default_ring_budget(128ull << 20));
  EXPECT_EQ(p.rings, 8u);
  EXPECT_EQ(p.order, 9u);
}

TEST(RingBudget, ASmallGuestKeepsEveryRingAtALowerOrderWithinAQuarterOfItsMemory) {
  for (uint64_t mib : {6, 8, 12, 16, 24, 32, 64}) {
    xen::RingPlan p = xen::plan_rings(8, 9, xen::default_ring_budget(mib << 20));
    uint64_t bytes = uint64_t(p.rings) * (1 + (1ull << p.order)) * 4096;
    EXPECT_LE(bytes, (mib << 20) / 4) << mib << " MiB";
    EXPECT_EQ(p.rings, 8u) << mib << " MiB";
    EXPECT_GE(p.order, 4u) << mib << " MiB";
  }
  xen::RingPlan p = xen::plan_rings(8, 9, xen::default_ring_budget(16ull << 20));
  EXPECT_EQ(p.rings, 8u);
  EXPECT_EQ(p.order, 6u);  // 8 x 65 pages fit 1,024; 8 x 129 do not
}

TEST(RingBudget, TheRingCountStaysWhileFreeMemoryDriftsBetweenMounts) {
  // A remount sees a little less free memory than the boot did: same rings (faulttest's leak
  // check compares the memory a share holds before and after).
  for (uint64_t kib = 3 << 10; kib <= (256 << 10); kib += 100) {
    xen::RingPlan boot = xen::plan_rings(8, 9, xen::default_ring_budget(kib << 10));
    xen::RingPlan later = xen::plan_rings(8, 9, xen::default_ring_budget((kib - 50) << 10));
    EXPECT_EQ(boot.rings, later.rings) << kib << " KiB";
  }
}

TEST(RingBudget, TheBudgetGivenIsTheBudgetKept) {
  // The namespace hands each share its budget: plan_rings spends that, not a share of it.
  xen::RingPlan p = xen::plan_rings(8, 9, 4ull << 20);
  EXPECT_LE(uint64_t(p.rings) * (1 + (1ull << p.order)) * 4096, 4ull << 20);
  EXPECT_EQ(p.rings, 8u);
  EXPECT_EQ(p.order, 6u);
  EXPECT_EQ(xen::default_ring_budget(16ull << 20), 4ull << 20);
  p = xen::plan_rings(8, 9, 100 * 4096);  // below 8 rings of order 4 (136 pages): fewer rings
  EXPECT_EQ(p.order, 4u);
  EXPECT_EQ(p.rings, 5u);  // 5 x 17 = 85 pages; 6 x 17 = 102
}

TEST(RingBudget, NeverMoreThanTheBackendOffersAndNothingWhenNoRingFits) {
  xen::RingPlan p = xen::plan_rings(1, 3, xen::default_ring_budget(1ull << 30));
  EXPECT_EQ(p.rings, 1u);
  EXPECT_EQ(p.order, 3u);
  p = xen::plan_rings(
      8, 9, xen::default_ring_budget(16 * 1024));  // a quarter is one page: not even one ring of order 1
  EXPECT_EQ(p.rings, 0u);
  p = xen::plan_rings(8, 9, xen::default_ring_budget(3 * 4 * 4096));  // three pages: one ring of order 1
  EXPECT_EQ(p.rings, 1u);
  EXPECT_EQ(p.order, 1u);
}

TEST(XsWire, ParsesDecimalNumbersWithinTheirRange) {
  EXPECT_EQ(*xen::xs::parse_decimal("0", 10), 0u);
  EXPECT_EQ(*xen::xs::parse_decimal("32751", 0x7fef), 0x7fefu);  // the highest domid
  EXPECT_EQ(*xen::xs::parse_decimal("4294967295", UINT32_MAX), UINT32_MAX);
  EXPECT_EQ(xen::xs::parse_decimal("4294967296", UINT32_MAX).error().code, ERANGE);
  EXPECT_EQ(xen::xs::parse_decimal("32753", 0x7fef).error().code, ERANGE);
  EXPECT_EQ(xen::xs::parse_decimal("7", 5).error().code, ERANGE);
  EXPECT_EQ(xen::xs::parse_decimal("99999999999999999999999", UINT64_MAX).error().code, ERANGE);
}

TEST(XsWire, RejectsEmptyAndNonDecimalNumbers) {
  for (const char* bad : {"", "-1", "+1", "1 ", " 1", "0x10", "1e3", "12a"})
    EXPECT_EQ(xen::xs::parse_decimal(bad, UINT32_MAX).error().code, EIO) << '"' << bad << '"';
}

TEST(RingBudget, AHostileOfferOfBillionsOfRingsOrAHugeOrderEndsAtOnceWithinTheBudget) {
  xen::RingPlan p = xen::plan_rings(4294967295u, 4294967295u, xen::default_ring_budget(16ull << 20));
  EXPECT_GE(p.rings, 1u);
  EXPECT_LE(uint64_t(p.rings) * (1 + (1ull << p.order)) * 4096, (16ull << 20) / 4);
}
