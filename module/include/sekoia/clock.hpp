#pragma once

#include <chrono>

#include "sekoia/stop_signal.hpp"

namespace sekoia {

using TimePoint = std::chrono::system_clock::time_point;
/** A point on a clock that never jumps: for intervals (budgets, timeouts, backoffs, rate limits).
 */
using SteadyPoint = std::chrono::steady_clock::time_point;

/** Wall-clock time, monotonic time and cancellable waits. Injected so tests control time. Wall
 *  time is for windows and record dates only; every interval is measured with Steady(), which a
 *  step of the system clock (NTP, a VM resumed) does not move. */
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  /** Monotonic time. The default follows Now(), for clocks that never step. */
  virtual SteadyPoint Steady() const { return SteadyPoint(Now().time_since_epoch()); }
  /** Waits `duration` unless `stop` is requested first; returns false when stopped. */
  virtual bool Wait(std::chrono::milliseconds duration, const StopSignal& stop) = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  SteadyPoint Steady() const override { return std::chrono::steady_clock::now(); }
  bool Wait(std::chrono::milliseconds duration, const StopSignal& stop) override {
    return !stop.WaitFor(duration);
  }
};

}  // namespace sekoia
