#include "throttle.hpp"

#include <gtest/gtest.h>

namespace mtsim {
namespace {

using std::chrono::seconds;

TEST(RollingThrottle, RefusesPastTheLimitUntilTheOldestRequestLeavesTheWindow) {
  RollingThrottle throttle(3, seconds(10));
  const RollingThrottle::Clock::time_point t0{};
  EXPECT_FALSE(throttle.Admit(t0 + seconds(0)));
  EXPECT_FALSE(throttle.Admit(t0 + seconds(4)));
  EXPECT_FALSE(throttle.Admit(t0 + seconds(5)));
  EXPECT_EQ(throttle.Admit(t0 + seconds(6)), std::chrono::microseconds(seconds(4)));
  EXPECT_EQ(throttle.Admit(t0 + seconds(9)), std::chrono::microseconds(seconds(1)));
  EXPECT_FALSE(throttle.Admit(t0 + seconds(10)));  // the request at 0 has left
  EXPECT_EQ(throttle.Admit(t0 + seconds(11)), std::chrono::microseconds(seconds(3)));
  EXPECT_EQ(throttle.peak(), 3u);
}

}  // namespace
}  // namespace mtsim
