#include <gtest/gtest.h>
#include <vector>
#include "memory/memory_map.h"

using kernel::FirmwareMemoryEntry;
using kernel::MemoryMap;
using kernel::MemoryRange;

namespace {
constexpr uint32_t kRam = 1, kReserved = 2;
constexpr uint64_t kLimit = 4ULL << 30;
}  // namespace

TEST(MemoryMap, KeepsOnlyRamTrimmedToWholePages) {
  MemoryRange storage[8];
  MemoryMap map(storage);
  FirmwareMemoryEntry e[] = {{0x0, 0x9fc00, kRam},
                             {0x9fc00, 0x400, kReserved},
                             {0x100123, 0x7f00000, kRam},
                             {0xfeffc000, 0x4000, kReserved}};
  ASSERT_EQ(map.build(e, kLimit), MemoryMap::Outcome::kBuilt);
  ASSERT_EQ(map.ranges().size(), 2u);
  EXPECT_EQ(map.ranges()[0].base, 0u);
  EXPECT_EQ(map.ranges()[0].end, 0x9f000u);
  EXPECT_EQ(map.ranges()[1].base, 0x101000u);
  EXPECT_EQ(map.ranges()[1].end, 0x8000000u);  // 0x100123 + 0x7f00000 = 0x8000123, page-down
  EXPECT_EQ(map.total_bytes(), 0x9f000u + 0x8000000u - 0x101000u);
}

TEST(MemoryMap, SortsAndMergesOverlappingAndAdjacentRanges) {
  MemoryRange storage[8];
  MemoryMap map(storage);
  FirmwareMemoryEntry e[] = {{0x200000, 0x100000, kRam},
                             {0x100000, 0x100000, kRam},
                             {0x250000, 0x200000, kRam},
                             {0x1000000, 0x1000, kRam}};
  ASSERT_EQ(map.build(e, kLimit), MemoryMap::Outcome::kBuilt);
  ASSERT_EQ(map.ranges().size(), 2u);
  EXPECT_EQ(map.ranges()[0].base, 0x100000u);
  EXPECT_EQ(map.ranges()[0].end, 0x450000u);
  EXPECT_EQ(map.ranges()[1].base, 0x1000000u);
  EXPECT_EQ(map.end_address(), 0x1001000u);
}

TEST(MemoryMap, CountsRamAboveTheLimitInsteadOfDroppingItSilently) {
  MemoryRange storage[4];
  MemoryMap map(storage);
  FirmwareMemoryEntry e[] = {{0xf0000000, 0x20000000, kRam}, {0x200000000, 0x1000, kRam}};
  ASSERT_EQ(map.build(e, kLimit), MemoryMap::Outcome::kBuilt);
  ASSERT_EQ(map.ranges().size(), 1u);
  EXPECT_EQ(map.ranges()[0].end, kLimit);
  EXPECT_EQ(map.ignored_bytes(), 0x10000000u + 0x1000u);
}

TEST(MemoryMap, ReportsNoRamAndTooManyRanges) {
  MemoryRange storage[2];
  MemoryMap map(storage);
  FirmwareMemoryEntry reserved_only[] = {{0, 0x100000, kReserved}, {0x1000, 0xfff, kRam}};
  EXPECT_EQ(map.build(reserved_only, kLimit), MemoryMap::Outcome::kNoRam);
  FirmwareMemoryEntry three[] = {{0x0, 0x1000, kRam}, {0x10000, 0x1000, kRam}, {0x20000, 0x1000, kRam}};
  EXPECT_EQ(map.build(three, kLimit), MemoryMap::Outcome::kTooManyRanges);
}

TEST(MemoryMap, SurvivesAnEntryThatWrapsTheAddressSpace) {
  MemoryRange storage[2];
  MemoryMap map(storage);
  FirmwareMemoryEntry wrap[] = {{0xfffffffffffff000, 0x2000, kRam}, {0x100000, 0x1000, kRam}};
  ASSERT_EQ(map.build(wrap, kLimit), MemoryMap::Outcome::kBuilt);
  ASSERT_EQ(map.ranges().size(), 1u);
  EXPECT_EQ(map.ranges()[0].base, 0x100000u);
}

// Both found by tests/fuzz/memory_map_fuzz.cpp.
TEST(MemoryMap, AnEntryInTheLastPageDoesNotWrapToAddressZero) {
  FirmwareMemoryEntry entries[] = {{0xFFFF'FFFF'FFFF'F001ull, 0x800, kRam}, {0x100000, 0x100000, kRam}};
  MemoryRange storage[4];
  MemoryMap map(storage);
  ASSERT_EQ(map.build(entries, UINT64_MAX), MemoryMap::Outcome::kBuilt);
  ASSERT_EQ(map.ranges().size(), 1u);
  EXPECT_EQ(map.ranges()[0].base, 0x100000u);
}

TEST(MemoryMap, AnUnalignedLimitEndsTheLastRangeAtAWholePage) {
  FirmwareMemoryEntry entries[] = {{0, 0x10'0000'0000ull, kRam}};
  MemoryRange storage[4];
  MemoryMap map(storage);
  ASSERT_EQ(map.build(entries, 0x1234'5678), MemoryMap::Outcome::kBuilt);
  EXPECT_EQ(map.ranges()[0].end, 0x1234'5000u);
  EXPECT_EQ(map.ignored_bytes(), 0x10'0000'0000ull - 0x1234'5000u);
}
