// Host tests of the pthread layer's pure part: absolute POSIX deadlines as the kernel's
// monotonic nanoseconds (kernel/posix/deadline.h).
#include <gtest/gtest.h>
#include <cerrno>
#include <cstdint>
#include "posix/deadline.h"

namespace {

constexpr uint64_t kSecond = 1000000000ull;

TEST(PthreadDeadline, RealtimeDeadlineBecomesTheSameWaitOnTheMonotonicClock) {
  uint64_t out = 0;
  // Wall clock 1,700,000,000 s; monotonic 5 s since boot; the deadline 2.5 s after the wall now.
  uint64_t wall = 1700000000ull * kSecond;
  ASSERT_EQ(posix::monotonic_deadline(1700000002, 500000000, wall, 5 * kSecond, &out), 0);
  EXPECT_EQ(out, 7 * kSecond + 500000000);
}

TEST(PthreadDeadline, MonotonicDeadlineIsItself) {
  uint64_t out = 0;
  ASSERT_EQ(posix::monotonic_deadline(9, 1, 5 * kSecond, 5 * kSecond, &out), 0);
  EXPECT_EQ(out, 9 * kSecond + 1);
}

TEST(PthreadDeadline, APastDeadlineIsNowSoTheWaitTimesOutAtOnce) {
  uint64_t out = 0;
  ASSERT_EQ(posix::monotonic_deadline(3, 0, 5 * kSecond, 42, &out), 0);
  EXPECT_EQ(out, 42u);
  ASSERT_EQ(posix::monotonic_deadline(5, 0, 5 * kSecond, 42, &out), 0);  // exactly now
  EXPECT_EQ(out, 42u);
  ASSERT_EQ(posix::monotonic_deadline(-1, 0, 5 * kSecond, 42, &out), 0);
  EXPECT_EQ(out, 42u);
}

TEST(PthreadDeadline, NanosecondsOutOfRangeAreEinval) {
  uint64_t out = 7;
  EXPECT_EQ(posix::monotonic_deadline(1, 1000000000, 0, 0, &out), EINVAL);
  EXPECT_EQ(posix::monotonic_deadline(1, -1, 0, 0, &out), EINVAL);
  EXPECT_EQ(out, 7u);  // untouched
}

TEST(PthreadDeadline, AFarDeadlineSaturatesInsteadOfWrapping) {
  uint64_t out = 0;
  ASSERT_EQ(posix::monotonic_deadline(INT64_MAX, 999999999, 0, 5 * kSecond, &out), 0);
  EXPECT_EQ(out, UINT64_MAX);
  ASSERT_EQ(posix::monotonic_deadline(18446744072, 0, 0, UINT64_MAX - 10, &out), 0);
  EXPECT_EQ(out, UINT64_MAX);
}

}  // namespace
