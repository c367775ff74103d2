#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>

namespace mtsim {

/**
 * Graph's message-trace throttle: at most `limit` accepted requests in any rolling
 * `window`. Refused requests do not count. Not thread-safe (the caller locks).
 */
class RollingThrottle final {
 public:
  using Clock = std::chrono::steady_clock;

  RollingThrottle(std::size_t limit, std::chrono::microseconds window)
      : limit_(limit), window_(window) {}

  /** Accepts the request (nullopt) or tells how long until a slot frees. */
  std::optional<std::chrono::microseconds> Admit(Clock::time_point now) {
    while (!accepted_.empty() && accepted_.front() + window_ <= now) accepted_.pop_front();
    if (accepted_.size() >= limit_) {
      return std::chrono::duration_cast<std::chrono::microseconds>(accepted_.front() + window_ -
                                                                   now);
    }
    accepted_.push_back(now);
    peak_ = std::max(peak_, accepted_.size());
    return std::nullopt;
  }

  /** The most requests accepted within one rolling window so far. */
  std::size_t peak() const { return peak_; }

 private:
  std::size_t limit_;
  std::chrono::microseconds window_;
  std::deque<Clock::time_point> accepted_;
  std::size_t peak_ = 0;
};

}  // namespace mtsim
