// The xenstore client (kernel/xen/xenstore.cpp) on the host, against a fake xenstored that
// serves the other end of the same ring (tests/unit/fake_xen.h): requests from several threads multiplexed by req_id,
// a reply longer than the ring taken in pieces, a reply that stops mid-message, no reply at all,
// a lost event, hostile ring indexes, watches. The scheduler is the real one with a fake timer
// (as in scheduler_test.cpp); the event channel's interrupt comes when every thread waits.
#include <gtest/gtest.h>
#include <cstring>
#include <string>
#include <vector>
#include "context.h"
#include "fake_xen.h"
#include "xenos/thread.h"
#include "xenos/xenstore.h"

namespace xs = xen::xs;
using fake_xen::FakeXenstored;
using fake_xen::logged;

namespace {

class XenStoreClient : public ::testing::Test {
 protected:
  void SetUp() override { fake_xen::start(fake); }
  void TearDown() override {
    xenos::yield();
    EXPECT_TRUE(arch::interrupts_enabled());
  }
  double seconds_passed(uint64_t since) const { return double(fake_xen::now_ns - since) / 1e9; }
  FakeXenstored fake;
};

}  // namespace

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
  uint64_t start = fake_xen::now_ns;
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
  uint64_t start = fake_xen::now_ns;
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
  uint64_t start = fake_xen::now_ns;
  auto r = xenos::xenstore::read("k");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "v");
  EXPECT_NEAR(seconds_passed(start), 0.25, 0.01) << "found by the 250 ms re-check, not the 30 s deadline";
  EXPECT_NE(logged.find("found by the 250 ms re-check"), std::string::npos) << logged;
  EXPECT_NE(logged.find("no event came"), std::string::npos) << logged;
}

TEST_F(XenStoreClient, ARequestLargerThanTheRingGoesOnWhenTheEventsForItsRoomAreLost) {
  // The sender waits for room in the 1,024-byte request ring; every event telling it room was
  // made is lost. It looks again at each re-check (it used to wait for an event, for ever).
  std::string big(3000, 'y');
  fake.drop_events = true;
  uint64_t start = fake_xen::now_ns;
  ASSERT_TRUE(xenos::xenstore::write("big", big));
  EXPECT_EQ(fake.store["big"], big);
  EXPECT_LT(seconds_passed(start), 5.0);
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
  auto first = w->next(fake_xen::now_ns + 1'000'000'000);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, "dev") << "a new watch fires once at once";
  ASSERT_TRUE(xenos::xenstore::write("dev/state", "4"));
  ASSERT_TRUE(xenos::xenstore::write("other", "x"));
  ASSERT_TRUE(xenos::xenstore::write("dev/ring", "8"));
  auto a = w->next(fake_xen::now_ns + 1'000'000'000);
  auto b = w->next(fake_xen::now_ns + 1'000'000'000);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, "dev/state");
  EXPECT_EQ(*b, "dev/ring");
  auto none = w->next(fake_xen::now_ns + 1'000'000'000);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ETIMEDOUT);
}
