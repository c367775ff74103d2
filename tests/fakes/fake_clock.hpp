#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "sekoia/clock.hpp"

namespace sekoia::testing {

/** A clock that only moves when waited on or advanced; records every wait. Its wall time can
 *  also be stepped alone (StepWall), as NTP or a resumed VM step the system clock. */
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1769000000))) : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return now_;
  }
  SteadyPoint Steady() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return steady_;
  }
  bool Wait(std::chrono::milliseconds duration, const StopSignal& stop) override {
    std::lock_guard<std::mutex> lock(mutex_);
    waits_.push_back(duration);
    if (stop.Requested()) return false;
    now_ += duration;
    steady_ += duration;
    return true;
  }
  void Advance(std::chrono::system_clock::duration d) {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ += d;
    steady_ += d;
  }
  /** Moves the wall time only (back when negative); monotonic time does not move. */
  void StepWall(std::chrono::system_clock::duration d) {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ += d;
  }
  std::vector<std::chrono::milliseconds> waits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return waits_;
  }

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
  SteadyPoint steady_{std::chrono::hours(1)};
  std::vector<std::chrono::milliseconds> waits_;
};

}  // namespace sekoia::testing
