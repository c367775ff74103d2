#include "sekoia/backoff.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "fake_random.hpp"

namespace sekoia {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

BackoffOptions Options(milliseconds initial, milliseconds max, int max_attempts = 0,
                       milliseconds max_elapsed = milliseconds(0)) {
  BackoffOptions options;
  options.initial = initial;
  options.max = max;
  options.max_attempts = max_attempts;
  options.max_elapsed = max_elapsed;
  return options;
}

std::vector<milliseconds> Delays(const Backoff& backoff, int retries) {
  std::vector<milliseconds> delays;
  for (int retry = 1; retry <= retries; ++retry) delays.push_back(backoff.Delay(retry));
  return delays;
}

TEST(Backoff, TheCeilingDoublesFromInitialAndStopsAtMax) {
  testing::FakeRandom random;
  Backoff backoff(Options(milliseconds(1000), milliseconds(10000)), random);
  std::vector<milliseconds> ceilings;
  for (int retry = 1; retry <= 6; ++retry) ceilings.push_back(backoff.Ceiling(retry));
  EXPECT_EQ(ceilings, (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000),
                                                 milliseconds(4000), milliseconds(8000),
                                                 milliseconds(10000), milliseconds(10000)}));
  // The collector counts its failures without end: a huge count is the cap, not an overflow.
  EXPECT_EQ(backoff.Ceiling(1000000), milliseconds(10000));
  EXPECT_EQ(backoff.Ceiling(std::numeric_limits<int>::max()), milliseconds(10000));
}

TEST(Backoff, AnInitialAboveMaxIsCappedAndZeroStaysZero) {
  testing::FakeRandom random;
  EXPECT_EQ(Backoff(Options(seconds(30), seconds(10)), random).Ceiling(1), seconds(10));
  Backoff none(Options(milliseconds(0), seconds(10)), random);
  EXPECT_EQ(none.Ceiling(1000000), milliseconds(0));
  EXPECT_EQ(none.Delay(5), milliseconds(0));
  // A cap that is not a power-of-two multiple of initial is reached exactly.
  EXPECT_EQ(Backoff(Options(seconds(5), seconds(600)), random).Ceiling(8), seconds(600));
  EXPECT_EQ(Backoff(Options(seconds(5), seconds(600)), random).Ceiling(7), seconds(320));
}

// Equal jitter: the bottom of the random source gives half the ceiling...
TEST(Backoff, TheLowestDrawWaitsHalfTheCeiling) {
  testing::FakeRandom random(0.0);
  Backoff backoff(Options(milliseconds(1000), milliseconds(10000)), random);
  EXPECT_EQ(Delays(backoff, 6), (std::vector<milliseconds>{
                                    milliseconds(500), milliseconds(1000), milliseconds(2000),
                                    milliseconds(4000), milliseconds(5000), milliseconds(5000)}));
}

// ... and its top the ceiling itself, never more.
TEST(Backoff, TheHighestDrawWaitsTheCeiling) {
  testing::FakeRandom random;  // 1 - 1e-12
  Backoff backoff(Options(milliseconds(1000), milliseconds(10000)), random);
  EXPECT_EQ(Delays(backoff, 6), (std::vector<milliseconds>{
                                    milliseconds(1000), milliseconds(2000), milliseconds(4000),
                                    milliseconds(8000), milliseconds(10000), milliseconds(10000)}));
}

TEST(Backoff, AMiddleDrawFallsInsideTheRange) {
  testing::FakeRandom random(0.5);
  Backoff backoff(Options(milliseconds(1000), milliseconds(10000)), random);
  EXPECT_EQ(backoff.Delay(1), milliseconds(750));  // 500 + floor(0.5 * 501)
  EXPECT_EQ(backoff.Delay(5), milliseconds(7500));
}

TEST(Backoff, ADrawOutsideZeroToOneStaysWithinTheBounds) {
  for (double u : {-0.5, 1.0, 7.0, std::numeric_limits<double>::quiet_NaN(),
                   std::numeric_limits<double>::infinity()}) {
    testing::FakeRandom random(u);
    const milliseconds delay =
        Backoff(Options(milliseconds(1000), milliseconds(10000)), random).Delay(1);
    EXPECT_GE(delay, milliseconds(500)) << u;
    EXPECT_LE(delay, milliseconds(1000)) << u;
  }
}

// Seeded (not the wall clock): every draw lies in [ceiling / 2, ceiling], and the draws spread
// over the range rather than bunching at one end.
TEST(Backoff, SeededDrawsSpreadOverHalfTheCeilingToTheCeiling) {
  SeededRandom random(20261207);
  Backoff backoff(Options(seconds(5), seconds(600)), random);
  for (int retry = 1; retry <= 10; ++retry) {
    const milliseconds ceiling = backoff.Ceiling(retry);
    int low = 0, high = 0;
    for (int i = 0; i < 400; ++i) {
      const milliseconds delay = backoff.Delay(retry);
      ASSERT_GE(delay, ceiling / 2) << retry;
      ASSERT_LE(delay, ceiling) << retry;
      (delay < ceiling * 3 / 4 ? low : high) += 1;
    }
    EXPECT_GT(low, 100) << retry;
    EXPECT_GT(high, 100) << retry;
  }
}

TEST(Backoff, GivesUpAfterMaxAttemptsCountingTheFirst) {
  testing::FakeRandom random;
  Backoff backoff(Options(seconds(1), seconds(60), 6), random);
  for (int attempts = 1; attempts < 6; ++attempts)
    EXPECT_FALSE(backoff.GiveUp(attempts, hours(100))) << attempts;
  EXPECT_TRUE(backoff.GiveUp(6, milliseconds(0)));
  EXPECT_TRUE(backoff.GiveUp(7, milliseconds(0)));
}

TEST(Backoff, GivesUpOnceMaxElapsedHasPassed) {
  testing::FakeRandom random;
  Backoff backoff(Options(seconds(1), seconds(10), 0, seconds(3600)), random);
  EXPECT_FALSE(backoff.GiveUp(100000, seconds(3600) - milliseconds(1)));
  EXPECT_TRUE(backoff.GiveUp(2, seconds(3600)));
}

TEST(Backoff, WithoutBoundsItNeverGivesUp) {
  testing::FakeRandom random;
  Backoff backoff(Options(seconds(5), seconds(600)), random);
  EXPECT_FALSE(backoff.GiveUp(std::numeric_limits<int>::max(), hours(24 * 365)));
}

TEST(IsRetryableStatus, Only408And429And5xx) {
  for (int status : {408, 429, 500, 502, 503, 504, 599})
    EXPECT_TRUE(IsRetryableStatus(status)) << status;
  for (int status :
       {-1, 0, 100, 200, 204, 301, 302, 400, 401, 403, 404, 405, 409, 410, 413, 422, 428, 600})
    EXPECT_FALSE(IsRetryableStatus(status)) << status;
}

}  // namespace
}  // namespace sekoia
