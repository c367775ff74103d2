#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "sekoia/clock.hpp"
#include "sekoia/logger.hpp"
#include "sekoia/metrics.hpp"

namespace sekoia {

struct HealthOptions final {
  /// Unhealthy when no events were forwarded for this long; 0 disables (the SDK's Connector:
  /// 21600).
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

/** Where the health server listens. */
struct HealthServerOptions final {
  /// GET /health (exactly that path); 0: an ephemeral port, see HealthServer::liveness_port().
  int liveness_port = 8000;
  /// Prometheus exposition on any GET path; 0: an ephemeral port of its own; nullopt: no port of
  /// its own, the liveness listener serves it on every path but /health.
  std::optional<int> metrics_port = 8020;
};

/**
 * Serves the SDK's /health and /metrics (GET and HEAD; any other method gets 405, an unknown
 * path on the liveness port 404 `{"status_code": 404, "reason": "Endpoint doesn't exist"}`).
 * One thread for all its ports, idle at rest. Bounded against hostile clients: at most 64 open
 * connections (the oldest idle one is closed for a new one), a request head of at most 16 KiB
 * arriving within 2 s, replies written within 2 s, one request per connection. The states it
 * renders are read under their own short locks, never held while a socket is written.
 */
class HealthServer {
 public:
  virtual ~HealthServer() = default;
  /** Stops listening and closes every connection; idempotent, returns within about 2 s. */
  virtual void Stop() = 0;
  /** The port /health is served on: the bound one when 0 was asked. */
  virtual int liveness_port() const = 0;
  /** The port /metrics is served on: the bound one when 0 was asked; the liveness port when it
   *  has none of its own. */
  virtual int metrics_port() const = 0;
};

/** Listens on 0.0.0.0 (all IPv4 interfaces, as the platform probes from outside). Throws
 *  std::runtime_error naming the port when it cannot listen. */
std::unique_ptr<HealthServer> StartHealthServer(const HealthServerOptions& options,
                                                const HealthState& health, const Metrics& metrics,
                                                Clock& clock);

/** The same, for the module's two port settings: equal ports share one listener (/health there,
 *  the metrics on every other path). */
std::unique_ptr<HealthServer> StartHealthServer(int liveness_port, int metrics_port,
                                                const HealthState& health, const Metrics& metrics,
                                                Clock& clock);

}  // namespace sekoia
