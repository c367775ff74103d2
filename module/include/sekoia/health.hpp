#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "sekoia/clock.hpp"
#include "sekoia/log.hpp"
#include "sekoia/metrics.hpp"

namespace sekoia {

struct HealthOptions final {
  /// Unhealthy when no events were forwarded for this long; 0 disables (the SDK's Connector: 21600).
  std::chrono::seconds seconds_without_events_threshold{21600};
  /// Unhealthy when the loop has not beaten for this long; 0 disables (the SDK's Connector: 0).
  std::chrono::seconds last_heartbeat_threshold{0};
};

/** Liveness as the SDK computes it (Trigger.is_alive): recent events and, when enabled, a
 *  recent heartbeat, both counted from launch. Render gives the SDK's liveness_context with
 *  naive UTC ISO 8601 dates. Thread-safe. */
class HealthState final {
 public:
  HealthState(const HealthOptions& options, TimePoint start);
  void Heartbeat(TimePoint now);
  void EventsForwarded(TimePoint now);
  void CountError();
  /** Collection is stopped by a failure that needs a person (refused credentials...): /health
   *  says so (`permanent_failure`), beside the SDK's keys. */
  void SetPermanentFailure(bool failing);
  /** A non-empty push to the intake starts: as the SDK (Connector.push_events_to_intakes), the
   *  error count goes back to 0 and last_events_time to `now`, before anything is sent. */
  void ResetErrors(TimePoint now);
  /** The HTTP status (200 alive, 500 not) and the JSON body of GET /health. */
  std::pair<int, std::string> Render(TimePoint now) const;

 private:
  HealthOptions options_;
  mutable std::mutex mutex_;
  TimePoint last_events_time_;
  TimePoint last_heartbeat_;
  std::uint64_t error_count_ = 0;
  bool permanent_failure_ = false;
};

/** Serves GET /health on one port and GET /metrics on another (the same port is fine). */
class HealthServer {
 public:
  virtual ~HealthServer() = default;
  /** Stops listening; idempotent, bounded. */
  virtual void Stop() = 0;
};

/** Listens on 0.0.0.0 (all interfaces, as the platform probes from outside). Throws
 *  std::runtime_error naming the port when it cannot listen. */
std::unique_ptr<HealthServer> StartHealthServer(int liveness_port, int metrics_port,
                                                const HealthState& health, const Metrics& metrics,
                                                Clock& clock);

}  // namespace sekoia
