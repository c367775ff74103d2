#pragma once

#include <chrono>

#include "sekoia/random.hpp"

namespace sekoia {

/** How long to wait between attempts, and when to stop trying. Each user keeps its own values:
 *  RetryOptions::backoff, IntakeOptions::backoff, CollectorOptions::failure_backoff. */
struct BackoffOptions final {
  std::chrono::milliseconds initial{1000};  ///< ceiling of the first wait; doubles after each retry
  std::chrono::milliseconds max{60000};     ///< the ceiling stops doubling here
  int max_attempts = 0;  ///< give up after this many attempts, the first counted; 0: no bound
  std::chrono::milliseconds max_elapsed{
      0};  ///< give up once this long has passed since the first attempt; 0: no bound
};

/** The one answer to "is this HTTP status worth another attempt?": 408, 429 and 5xx. An attempt
 *  that got no answer at all (TransportError) is worth another too. Every other status is the
 *  request's own fault or a refusal that the same request sent again would meet again; a caller
 *  that gives one of them a meaning of its own (the intake's 413 split, its 400/422 isolation)
 *  does so before asking. */
bool IsRetryableStatus(int status);

/**
 * Capped exponential backoff with equal jitter, after the Envoy and AWS backoff strategies:
 * before retry n (n = 1 after the first attempt), the ceiling is `initial * 2^(n-1)`, capped at
 * `max`, and the wait is drawn uniformly from [ceiling / 2, ceiling] with the injected Random.
 *
 * Equal jitter rather than full jitter ([0, ceiling], Envoy's JitteredExponentialBackOffStrategy):
 * the draw still spreads the retries of many triggers failing at the same moment (an intake or
 * Graph outage ends for every tenant at once) over half of each step, and the floor keeps two
 * promises full jitter breaks: no retry comes at once (a struggling service is never hit again
 * within milliseconds), and a bound by attempts covers a known minimum time (RetryOptions'
 * 6 attempts ride out at least 0.5 + 1 + 2 + 4 + 8 = 15.5 s of outage, not possibly none).
 *
 * Holds no state between calls: the caller counts its attempts (and may start again from 1).
 * Thread-safe (Random is). `random` is borrowed and must outlive the Backoff.
 */
class Backoff final {
 public:
  Backoff(const BackoffOptions& options, Random& random) : options_(options), random_(random) {}

  /** The ceiling of the wait before retry `retry` (>= 1): initial doubled retry - 1 times, at most
   * max. */
  std::chrono::milliseconds Ceiling(int retry) const;
  /** The wait before retry `retry` (>= 1): uniform in [Ceiling / 2, Ceiling], whole milliseconds.
   */
  std::chrono::milliseconds Delay(int retry) const;
  /** True when no attempt may follow: `attempts` made (the first counted), the first of them
   *  `elapsed` ago (measured on a monotonic clock), and either bound reached. */
  bool GiveUp(int attempts, std::chrono::milliseconds elapsed) const;

  const BackoffOptions& options() const { return options_; }

 private:
  BackoffOptions options_;
  Random& random_;
};

}  // namespace sekoia
