#pragma once

#include "sekoia/random.hpp"

namespace sekoia::testing {

/** Always the same number, so jitter is predictable. The default is the top of [0, 1): a
 *  jittered delay then reaches its ceiling; 0.0 gives the bottom of its range. */
class FakeRandom final : public Random {
 public:
  explicit FakeRandom(double value = 1.0 - 1e-12) : value_(value) {}
  double Uniform() override { return value_; }

 private:
  double value_;
};

}  // namespace sekoia::testing
