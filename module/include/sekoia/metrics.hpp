#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "sekoia/clock.hpp"

namespace sekoia {

/** The outcome of one request to the service events are collected from (Microsoft). */
enum class RequestOutcome {
  kOk,         ///< 2xx or 3xx
  kThrottled,  ///< 429
  kFailed,     ///< any other status, or no answer (connection, timeout)
};

/**
 * The platform's common metrics (namespace symphony_module_common, label intake_key), rendered
 * in the Prometheus text format as prometheus_client 0.25's generate_latest does: counters with
 * `_total`, counters and the histogram with their `_created` samples (unix seconds, in a gauge
 * family after each), the series for the configured intake key present from start at 0 (as
 * after `.labels(intake_key)` at start). Gauges have no sample until first set. The SDK's four
 * (forwarded_events, forward_events_duration, discarded_events, events_lags) keep its names and
 * types; this trigger's own follow them. Thread-safe.
 */
class Metrics final {
 public:
  /** The series are created now, by the system clock. */
  explicit Metrics(const std::string& intake_key);
  /** The series are created at `clock.Now()`. */
  Metrics(const std::string& intake_key, const Clock& clock);
  void AddForwarded(std::uint64_t count);
  void AddDiscarded(std::uint64_t count);
  void ObserveForwardDuration(double seconds);
  /** How far behind now the reading position is, in seconds (may be negative). */
  void SetEventsLag(double seconds);
  /** Events whose invalid UTF-8 was replaced by U+FFFD before forwarding. */
  void AddRepaired(std::uint64_t count);
  /** The checkpoint's date (most_recent_date_requested), as saved. */
  void SetCheckpointTime(TimePoint time);
  /** When a collection cycle last ended without error. */
  void SetLastSuccessfulCycle(TimePoint time);
  /** One request to the source service (each attempt, retries included). */
  void AddSourceRequest(RequestOutcome outcome);
  /** One wait for the source's request budget, of `seconds`. */
  void AddBudgetWait(double seconds);
  std::string RenderPrometheus() const;

  std::uint64_t forwarded() const { return forwarded_.load(); }
  std::uint64_t discarded() const { return discarded_.load(); }
  std::uint64_t repaired() const { return repaired_.load(); }

 private:
  static constexpr std::array<double, 14> kBuckets{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                                   0.5,   0.75, 1.0,   2.5,  5.0,   7.5, 10.0};
  std::string label_;
  double created_ = 0;  ///< unix seconds, the `_created` of every series
  std::atomic<std::uint64_t> forwarded_{0};
  std::atomic<std::uint64_t> discarded_{0};
  mutable std::mutex mutex_;
  std::array<std::uint64_t, kBuckets.size()> bucket_counts_{};
  std::uint64_t duration_count_ = 0;
  double duration_sum_ = 0;
  std::optional<double> lag_;
  std::atomic<std::uint64_t> repaired_{0};
  std::optional<double> checkpoint_time_;
  std::optional<double> last_success_;
  std::array<std::uint64_t, 3> source_requests_{};  ///< by RequestOutcome
  std::uint64_t budget_waits_ = 0;
  double budget_wait_seconds_ = 0;
};

}  // namespace sekoia
