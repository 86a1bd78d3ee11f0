// The pure parts of iohost's Xen backend: its configuration. (Its rings are ring_channel.cpp,
// tested in ring_channel_test.cpp; the Xen glue is proven on Xen by the Xen stage.)
#include "transport/xen_guest_config.h"
#include "common/decimal.h"
#include <gtest/gtest.h>

TEST(XenGuestConfig, ParsesNameAndSharesInOrder) {
  auto c = iohost::parse_xen_guest("web1=share:web,dev:dev");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->name, "web1");
  ASSERT_EQ(c->shares.size(), 2u);
  EXPECT_EQ(c->shares[0], (std::pair<std::string, std::string>{"share", "web"}));
  EXPECT_EQ(c->shares[1], (std::pair<std::string, std::string>{"dev", "dev"}));
}

TEST(XenGuestConfig, RefusesWhatItCannotRead) {
  for (const char* bad : {"", "web1", "=share:web", "web1=", "web1=share", "web1=share:", "web1=:web",
                          "web1=share:web,", "web1=share:web,,dev:dev"}) {
    auto c = iohost::parse_xen_guest(bad);
    EXPECT_FALSE(c) << "accepted \"" << bad << "\"";
    if (!c) {
      EXPECT_NE(c.error().message.find("--xen-guest"), std::string::npos) << c.error().message;
    }
  }
}

// iohost's one decimal parser (xenstore numbers, /net ports, its command line).
TEST(IohostNumbers, DigitsOnlyAndWithinTheirBound) {
  EXPECT_EQ(common::parse_decimal("0", 65535), 0u);
  EXPECT_EQ(common::parse_decimal("65535", 65535), 65535u);
  EXPECT_EQ(common::parse_decimal("18446744073709551615", UINT64_MAX), UINT64_MAX);
  for (const char* bad : {"", "65536", "+1", "-1", " 1", "1 ", "0x10", "１"})
    EXPECT_FALSE(common::parse_decimal(bad, 65535)) << '"' << bad << '"';
  EXPECT_FALSE(common::parse_decimal("18446744073709551616", UINT64_MAX)) << "overflow";
  EXPECT_FALSE(common::parse_decimal("7", 5)) << "a single digit over a bound below 9";
}
