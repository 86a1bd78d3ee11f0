// The 9pfs frontend's xenbus handshake (kernel/xen/ninep_front.cpp) on the host, against a
// scripted backend in a fake xenstored (tests/unit/fake_xen.h): the branches only a kind
// backend has exercised on Xen. Each failure is a clear error within the handshake's deadline,
// and leaves no grant, event channel or frame behind.
#include <gtest/gtest.h>
#include <cerrno>
#include <string>
#include "context.h"
#include "fake_xen.h"
#include "memory/memory.h"
#include "xenos/ninep.h"
#include "xenos/thread.h"

extern "C" {
#include <xen/io/xenbus.h>
}

namespace {

constexpr const char* kFront = "device/9pfs/0";
constexpr const char* kBack = "backend/9pfs/5/0";

class NinepHandshake : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_xen::start(store);
    store.store = {
        {std::string(kFront) + "/backend", kBack},
        {std::string(kFront) + "/backend-id", "0"},
        {std::string(kFront) + "/tag", "share"},
        {std::string(kFront) + "/state", std::to_string(XenbusStateInitialising)},
        {std::string(kBack) + "/state", std::to_string(XenbusStateInitWait)},
        {std::string(kBack) + "/versions", "1"},
        {std::string(kBack) + "/max-rings", "4"},
        {std::string(kBack) + "/max-ring-page-order", "9"},
    };
    free_before = kernel::frames().free_frames();
  }
  void TearDown() override {
    EXPECT_TRUE(fake_xen::grants.empty()) << fake_xen::grants.size() << " grants left";
    EXPECT_TRUE(fake_xen::channels.empty()) << fake_xen::channels.size() << " event channels left";
    EXPECT_EQ(kernel::frames().free_frames(), free_before) << "ring frames not given back";
    xenos::yield();
    EXPECT_TRUE(arch::interrupts_enabled());
  }
  // The backend answers the frontend's Initialised with `reply` (a xenbus state).
  void backend_answers_initialised_with(XenbusState reply) {
    store.on_write = [this, reply](const std::string& path, const std::string& value) {
      if (path != std::string(kFront) + "/state") return;
      if (value == std::to_string(XenbusStateInitialised))
        store.set(std::string(kBack) + "/state", std::to_string(reply));
      else if (value == std::to_string(XenbusStateClosing))
        store.set(std::string(kBack) + "/state", std::to_string(XenbusStateClosed));
    };
  }
  p9::Error open_fails() {
    auto share = xenos::ninep::Share::open("share");
    EXPECT_FALSE(share) << "the handshake succeeded";
    return share ? p9::Error{} : share.error();
  }
  double seconds_passed(uint64_t since) const { return double(fake_xen::now_ns - since) / 1e9; }

  fake_xen::FakeXenstored store;
  uint64_t free_before = 0;
};

}  // namespace

TEST_F(NinepHandshake, ABackendThatNeverReachesInitWaitTimesOutAndNothingIsWrittenFirst) {
  store.store[std::string(kBack) + "/state"] = std::to_string(XenbusStateInitialising);
  uint64_t start = fake_xen::now_ns;
  p9::Error e = open_fails();
  EXPECT_EQ(e.code, ETIMEDOUT);
  EXPECT_EQ(e.message, "9pfs: the backend never reached InitWait");
  EXPECT_NEAR(seconds_passed(start), 30.0, 0.5);
  for (auto& [key, value] : store.store) {  // 9pfs.h: nothing before the backend's InitWait
    if (key.rfind(kFront, 0) != 0) continue;
    EXPECT_TRUE(key.ends_with("/state") || key.ends_with("/backend") || key.ends_with("/backend-id") ||
                key.ends_with("/tag"))
        << "written before InitWait: " << key;
  }
}

TEST_F(NinepHandshake, ABackendWithoutTransportVersionOneIsRefused) {
  store.store[std::string(kBack) + "/versions"] = "2,3";
  p9::Error e = open_fails();
  EXPECT_EQ(e.code, EPROTONOSUPPORT);
  EXPECT_NE(e.message.find("version 1"), std::string::npos) << e.message;
  store.store[std::string(kBack) + "/versions"] = "11";  // a list item, not a prefix
  EXPECT_EQ(open_fails().code, EPROTONOSUPPORT);
}

TEST_F(NinepHandshake, ABackendOfferingNoRingsIsRefused) {
  store.store[std::string(kBack) + "/max-rings"] = "0";
  p9::Error e = open_fails();
  EXPECT_EQ(e.code, EIO);
  EXPECT_EQ(e.message, "9pfs: the backend offers no rings");
}

TEST_F(NinepHandshake, AMissingOrMalformedOfferNamesWhatIsWrong) {
  store.store.erase(std::string(kBack) + "/max-ring-page-order");
  p9::Error e = open_fails();
  EXPECT_EQ(e.code, ENOENT);
  EXPECT_EQ(e.message, "xenstore: no such path: backend/9pfs/5/0/max-ring-page-order");
  store.store[std::string(kBack) + "/max-ring-page-order"] = "nine";
  EXPECT_NE(open_fails().code, 0);
  store.store[std::string(kBack) + "/max-ring-page-order"] = "0";
  EXPECT_NE(open_fails().message.find("order below 1"), std::string::npos);
}

TEST_F(NinepHandshake, ABackendConnectedToAnotherFrontendIsBusy) {
  store.store[std::string(kBack) + "/state"] = std::to_string(XenbusStateConnected);
  p9::Error e = open_fails();
  EXPECT_EQ(e.code, EBUSY);
}

TEST_F(NinepHandshake, ABackendThatClosesMidHandshakeFailsItAndTheRingsComeDown) {
  backend_answers_initialised_with(XenbusStateClosing);
  p9::Error e = open_fails();
  EXPECT_EQ(e.code, EIO);
  EXPECT_EQ(e.message, "9pfs: the backend closed during the handshake");
  // The frontend had published its rings in one transaction before the backend closed.
  EXPECT_EQ(store.store[std::string(kFront) + "/version"], "1");
  EXPECT_EQ(store.store[std::string(kFront) + "/num-rings"], "4");
  EXPECT_TRUE(store.store.count(std::string(kFront) + "/ring-ref3"));
  EXPECT_TRUE(store.store.count(std::string(kFront) + "/event-channel-3"));
}

TEST_F(NinepHandshake, ABackendThatNeverConnectsTimesOut) {
  backend_answers_initialised_with(XenbusStateInitialised);  // acknowledges, never connects
  uint64_t start = fake_xen::now_ns;
  p9::Error e = open_fails();
  EXPECT_EQ(e.code, ETIMEDOUT);
  EXPECT_EQ(e.message, "9pfs: the backend did not connect");
  EXPECT_LE(seconds_passed(start), 31.0);
}

// The frontend gives back connected rings and sends nothing of 9P itself: the session is the
// layer above's (Share, or the namespace). Its rings keep within the budget it is given, and a
// device is open once at a time.
TEST_F(NinepHandshake, ConnectedRingsCarryNo9PAndKeepWithinTheirBudget) {
  backend_answers_initialised_with(XenbusStateConnected);
  xenos::ninep::Options o;
  o.ring_budget_bytes = 1u << 20;  // 256 pages: fewer rings and a lower order than offered (4 of 9)
  auto rings = xenos::ninep::ShareRings::connect("share", o);
  ASSERT_TRUE(rings) << rings.error().message;
  xenos::ninep::Stats s = (*rings)->stats();
  EXPECT_EQ(s.messages_sent, 0u) << "the transport sent a message of its own";
  EXPECT_GE(s.rings, 1u);
  EXPECT_LE(uint64_t(s.rings) * (1 + (1ull << s.order)) * 4096, uint64_t(o.ring_budget_bytes));
  EXPECT_LT(uint64_t(s.rings) * (1 + (1ull << s.order)), 4u * (1 + 512)) << "the budget was not applied";
  EXPECT_EQ((*rings)->device().tag, "share");
  EXPECT_EQ((*rings)->max_message_size(), s.ring_bytes / 2);
  auto again = xenos::ninep::ShareRings::connect("share", o);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, EBUSY);
  EXPECT_EQ(store.store[std::string(kFront) + "/state"], std::to_string(XenbusStateConnected));
}
