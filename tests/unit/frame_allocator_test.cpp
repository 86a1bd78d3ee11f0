#include <gtest/gtest.h>
#include <vector>
#include "memory/frame_allocator.h"

using kernel::FrameAllocator;

namespace {
struct Allocator {
  std::vector<uint64_t> bitmap;
  FrameAllocator frames;
  explicit Allocator(uint64_t count) : bitmap(FrameAllocator::words_for(count)), frames(bitmap, count) {}
};
}  // namespace

TEST(FrameAllocator, StartsFullyInUse) {
  Allocator a(100);
  EXPECT_EQ(a.frames.free_frames(), 0u);
  EXPECT_FALSE(a.frames.allocate().has_value());
}

TEST(FrameAllocator, AllocatesFromTheTopDown) {
  Allocator a(200);
  a.frames.release_range(10, 190);
  EXPECT_EQ(a.frames.allocate(), 199u);
  EXPECT_EQ(a.frames.allocate(), 198u);
  EXPECT_EQ(a.frames.allocate(4), 194u);
  EXPECT_EQ(a.frames.free_frames(), 190u - 6u);
}

TEST(FrameAllocator, FindsContiguousRunsAcrossHolesAndWords) {
  Allocator a(256);
  a.frames.release_range(0, 256);
  a.frames.reserve_range(250, 1);                   // hole near the top
  a.frames.reserve_range(100, 100);                 // big used block spanning words
  EXPECT_EQ(a.frames.allocate(6), 244u);            // 244..249 below the hole
  EXPECT_EQ(a.frames.allocate(70), 30u);            // 30..99, skipping the used words
  EXPECT_EQ(a.frames.allocate(40), 204u);           // 200..243 was left between the blocks
  EXPECT_FALSE(a.frames.allocate(31).has_value());  // 0..29 is one short
  EXPECT_EQ(a.frames.allocate(30), 0u);
}

TEST(FrameAllocator, ClaimTakesExactFramesOnlyIfAllFree) {
  Allocator a(64);
  a.frames.release_range(0, 64);
  EXPECT_TRUE(a.frames.claim(10, 5));
  EXPECT_FALSE(a.frames.claim(14, 2));              // 14 is taken
  EXPECT_FALSE(a.frames.claim(60, 10));             // runs past the end
  EXPECT_FALSE(a.frames.claim(UINT64_MAX - 1, 4));  // wraps
  EXPECT_EQ(a.frames.free_frames(), 59u);
}

TEST(FrameAllocator, FreeReturnsFramesAndRefusesDoubleFree) {
  Allocator a(64);
  a.frames.release_range(0, 64);
  auto f = a.frames.allocate(3);
  ASSERT_TRUE(f);
  a.frames.free(*f, 3);
  EXPECT_EQ(a.frames.free_frames(), 64u);
  EXPECT_THROW(a.frames.free(*f, 1), std::logic_error);
  EXPECT_THROW(a.frames.free(63, 2), std::logic_error);  // past the end
}

TEST(FrameAllocator, ReleaseAndReserveAreIdempotentAndClipped) {
  Allocator a(64);
  a.frames.release_range(0, 10);
  a.frames.release_range(5, 10);
  EXPECT_EQ(a.frames.free_frames(), 15u);
  a.frames.reserve_range(60, 100);  // beyond the end: clipped, no crash
  a.frames.reserve_range(0, 3);
  a.frames.reserve_range(0, 3);
  EXPECT_EQ(a.frames.free_frames(), 12u);
}

TEST(FrameAllocator, RejectsABitmapTooSmall) {
  std::vector<uint64_t> bitmap(1);
  EXPECT_THROW(FrameAllocator(bitmap, 65), std::logic_error);
}
