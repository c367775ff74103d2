#include "sekoia/time_format.hpp"

#include <gtest/gtest.h>

namespace sekoia {
namespace {

using std::chrono::seconds;

TimePoint At(long long unix_seconds) { return TimePoint(seconds(unix_seconds)); }

TEST(TimeFormat, ParsesTheShapesMicrosoftAndPythonWrite) {
  EXPECT_EQ(ParseIso8601("2026-01-21T14:12:34Z"), At(1769004754));
  EXPECT_EQ(ParseIso8601("2026-01-21T14:12:34.5Z"),
            At(1769004754) + std::chrono::milliseconds(500));
  EXPECT_EQ(ParseIso8601("2022-09-05T18:10:13.4907658"),
            At(1662401413) + std::chrono::microseconds(490765));
  EXPECT_EQ(ParseIso8601("2026-01-21T15:12:34+01:00"), At(1769004754));
  EXPECT_EQ(ParseIso8601("2022-07-25T12:28:17.628000+00:00"),
            At(1658752097) + std::chrono::milliseconds(628));
  EXPECT_EQ(ParseIso8601("2024-02-29T00:00:00Z"), At(1709164800));
}

TEST(TimeFormat, RejectsInvalidDates) {
  for (const char* bad :
       {"", "2026-01-21", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
        "2026-01-21T24:00:00Z", "2026-01-21T14:12:34ZZ", "2026-01-21T14:12:34.Z",
        "2026-01-21T14:12:34+1", "x026-01-21T14:12:34Z"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
}

// Found by fuzzing (scripts/fuzz.sh): a record dated "1013-..." overflowed the clock's 64-bit
// nanoseconds (undefined behaviour). Dates outside 1678..2261 are not dates for the trigger.
TEST(TimeFormat, RejectsDatesTheClockCannotHold) {
  for (const char* bad :
       {"1013-01-21T14:12:34Z", "0506-09-05T18:10:13.4907658", "2344-01-01T00:00:00Z",
        "9999-12-31T23:59:59+00:00", "0000-01-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseMsJsonDate("/Date(999999999999999)/").has_value());
  EXPECT_FALSE(ParseMsJsonDate("/Date(-999999999999999)/").has_value());
  EXPECT_EQ(ParseIso8601("1700-01-01T00:00:00Z"), At(-8520336000));
  EXPECT_EQ(ParseIso8601("2200-01-01T00:00:00Z"), At(7258118400));
  EXPECT_EQ(ParseMsJsonDate("/Date(7258118400000)/"), At(7258118400));
}

TEST(TimeFormat, FormatsWholeSecondsWithoutFraction) {
  EXPECT_EQ(FormatIso8601(At(1769004754)), "2026-01-21T14:12:34Z");
  EXPECT_EQ(FormatIso8601(At(1769004754) + std::chrono::microseconds(1500)),
            "2026-01-21T14:12:34.001500Z");
  auto round_trip = At(1769004754) + std::chrono::microseconds(123456);
  EXPECT_EQ(ParseIso8601(FormatIso8601(round_trip)), round_trip);
}

TEST(TimeFormat, ParsesMsJsonDates) {
  EXPECT_EQ(ParseMsJsonDate("/Date(1658751973240)/"),
            At(1658751973) + std::chrono::milliseconds(240));
  EXPECT_EQ(ParseMsJsonDate("/Date(1658751973240+0200)/"),
            At(1658751973) + std::chrono::milliseconds(240));
  for (const char* bad : {"/Date()/", "Date(1)", "/Date(12a)/", "/Date(1)", "/Date(1+02)/"})
    EXPECT_FALSE(ParseMsJsonDate(bad).has_value()) << bad;
}

TEST(TimeFormat, HumanDurations) {
  EXPECT_EQ(HumanDuration(seconds(42)), "42s");
  EXPECT_EQ(HumanDuration(seconds(125)), "2m 5s");
  EXPECT_EQ(HumanDuration(seconds(3 * 86400 + 4 * 3600 + 5)), "3d 4h");
}

}  // namespace
}  // namespace sekoia
