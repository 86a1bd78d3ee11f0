#include <gtest/gtest.h>
#include <cerrno>
#include <cstdarg>
#include <string>
#include "common/decimal.h"
#include "format.h"

namespace {
std::string fmt(size_t capacity, const char* f, ...) {
  std::string out(capacity, '\xff');
  va_list args;
  va_start(args, f);
  size_t n = kernel::format(out.data(), capacity, f, args);
  va_end(args);
  out.resize(std::min(n, capacity ? capacity - 1 : 0));
  return out;
}
}  // namespace

TEST(Format, IntegersInEveryBase) {
  EXPECT_EQ(fmt(64, "%d %i %u %x %X", -42, 7, 4000000000u, 0xbeefu, 0xbeefu), "-42 7 4000000000 beef BEEF");
  EXPECT_EQ(fmt(64, "%ld %lu %lx %zu", int64_t(-1) << 40, uint64_t(1) << 63, ~uint64_t(0), size_t(12)),
            "-1099511627776 9223372036854775808 ffffffffffffffff 12");
}

TEST(Format, WidthAndPadding) {
  EXPECT_EQ(fmt(64, "[%5d][%05d][%016lx]", 42, -42, uint64_t(0xabc)), "[   42][-0042][0000000000000abc]");
  EXPECT_EQ(fmt(64, "[%6s]", "ab"), "[    ab]");
}

TEST(Format, StringsCharsPointersPercent) {
  EXPECT_EQ(fmt(64, "%s %c %% %s", "x", 'y', nullptr), "x y % (null)");
  EXPECT_EQ(fmt(64, "%p", reinterpret_cast<void*>(0x1234)), "0x1234");
}

TEST(Format, TruncatesButReportsFullLength) {
  std::string s = fmt(8, "%s", "abcdefghijkl");
  EXPECT_EQ(s, "abcdefg");
  auto length = [](const char* f, ...) {
    char b[4];
    va_list a;
    va_start(a, f);
    size_t n = kernel::format(b, sizeof b, f, a);
    va_end(a);
    EXPECT_EQ(b[3], '\0');
    return n;
  };
  EXPECT_EQ(length("%d-%s", 12345, "xyz"), 9u);
}

TEST(Format, UnknownConversionIsPrintedAndConsumesNoArgument) { EXPECT_EQ(fmt(64, "%q %d", 5), "%q 5"); }

TEST(Format, TrailingPercentDoesNotReadPastTheFormat) { EXPECT_EQ(fmt(16, "abc%"), "abc"); }

TEST(ParseDecimal, DigitsWithinTheLimitAndNothingElse) {
  EXPECT_EQ(common::parse_decimal("30", 86400), 30u);
  EXPECT_EQ(common::parse_decimal("86400", 86400), 86400u);
  EXPECT_FALSE(common::parse_decimal("86401", 86400));
  EXPECT_FALSE(common::parse_decimal("18446744073709551616", UINT64_MAX));
  for (const char* bad : {"", "-1", "1s", " 1", "0x10", "+1", "1 "}) EXPECT_FALSE(common::parse_decimal(bad, 100)) << bad;
  static_assert(common::parse_decimal("65535", 65535) == 65535u);  // usable at compile time
}
