#pragma once

#include <cstdint>
#include <mutex>
#include <random>

namespace sekoia {

/** A source of uniform numbers in [0, 1), for backoff jitter. Injected so tests fix the draw.
 *  Thread-safe: one source is shared by the Microsoft requests and the intake's sender threads. */
class Random {
 public:
  virtual ~Random() = default;
  virtual double Uniform() = 0;
};

/** A Mersenne Twister seeded once (in main.cpp from std::random_device); draws under a lock. */
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  double Uniform() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine_);
  }

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_;
};

}  // namespace sekoia
