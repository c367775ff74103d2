#include "time_text.hpp"

#include <gtest/gtest.h>

namespace mtsim {
namespace {

constexpr Micros kJan21 = 1769004754LL * kMicrosPerSecond;  // 2026-01-21T14:12:34Z

TEST(ParseIsoTime, ReadsUtcWithOptionalFractionAndZone) {
  EXPECT_EQ(ParseIsoTime("2026-01-21T14:12:34Z"), kJan21);
  EXPECT_EQ(ParseIsoTime("2026-01-21T14:12:34"), kJan21);  // Reporting: no zone means UTC
  EXPECT_EQ(ParseIsoTime("2026-01-21T14:12:34.5Z"), kJan21 + 500000);
  EXPECT_EQ(ParseIsoTime("2026-01-21T14:12:34.4907658Z"), kJan21 + 490765);
  EXPECT_EQ(ParseIsoTime("2026-01-21T15:12:34+01:00"), kJan21);
  EXPECT_EQ(ParseIsoTime("2026-01-21T13:12:34.000-01:00"), kJan21);
}

TEST(ParseIsoTime, RefusesMalformedText) {
  for (const char* text :
       {"", "2026-01-21", "2026-01-21 14:12:34Z", "2026-13-21T14:12:34Z", "2026-01-21T24:00:00Z",
        "2026-01-21T14:12:34.Z", "2026-01-21T14:12:34Zjunk", "2026-1-21T14:12:34Z", "yesterday"}) {
    EXPECT_FALSE(ParseIsoTime(text).has_value()) << text;
  }
}

TEST(FormatTime, WritesEachApisSpelling) {
  const Micros t = kJan21 + 490765;
  EXPECT_EQ(FormatIsoSeconds(t), "2026-01-21T14:12:34Z");
  EXPECT_EQ(FormatIsoMillis(t), "2026-01-21T14:12:34.490Z");
  EXPECT_EQ(FormatIsoTicks(t), "2026-01-21T14:12:34.4907650");
  EXPECT_EQ(FormatMsDate(t), "/Date(1769004754490)/");
  EXPECT_EQ(FormatAadTimestamp(t), "2026-01-21 14:12:34Z");
  EXPECT_EQ(FormatHttpDate(1445412480LL * kMicrosPerSecond), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(FormatIsoSeconds(-kMicrosPerSecond), "1969-12-31T23:59:59Z");
}

TEST(FormatTime, RoundTripsThroughParse) {
  for (Micros t = 0; t < 400LL * 366 * kMicrosPerDay; t += 7919LL * 3607 * kMicrosPerSecond + 1) {
    EXPECT_EQ(ParseIsoTime(FormatIsoTicks(t)), t);
  }
}

}  // namespace
}  // namespace mtsim
