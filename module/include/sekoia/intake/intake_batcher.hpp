#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "sekoia/clock.hpp"
#include "sekoia/health.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/log.hpp"
#include "sekoia/metrics.hpp"

namespace sekoia::intake {

enum class ForwardResult {
  kAcknowledged,  ///< every kept event was acknowledged by the intake
  kRefused,       ///< the intake refused the key (401, 403, 404): a critical log was sent
  kFailed,        ///< retries ran out; nothing may be considered delivered
  kStopped,       ///< a stop was requested before every chunk was acknowledged
};

/** Where a trigger sends its events. */
class IntakeSink {
 public:
  virtual ~IntakeSink() = default;
  /** Sends the events and blocks until all are acknowledged or it gives up. Thread-compatible. */
  virtual ForwardResult Forward(const std::vector<std::string_view>& events, const StopSignal& stop) = 0;
};

struct IntakeOptions final {
  std::string intake_url;                 ///< base, e.g. https://intake.sekoia.io (no /batch)
  std::string intake_key;                 ///< secret-ish: never logged
  std::size_t chunk_size = 1000;          ///< events per request at most
  std::size_t max_chunk_bytes = 9437184;  ///< 0.9 x 10 MiB of event text, as the SDK cuts
  std::size_t max_event_bytes = 250000;   ///< longer events are discarded (logged, counted)
  int workers = 4;                        ///< chunks in flight at once
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{10000};
  std::chrono::seconds give_up_after{3600};  ///< retry a chunk this long, then kFailed
};

/** The body of POST /batch: {"intake_key": ..., "jsons": [<each event as a JSON string>]}. */
std::string BuildBatchBody(std::string_view intake_key, const std::string_view* begin,
                           const std::string_view* end);

/** Splits events into chunks of at most `chunk_size` events and `max_chunk_bytes` bytes,
 *  as [begin, end) index pairs. Events must already be under the per-event limit. */
std::vector<std::pair<std::size_t, std::size_t>> PlanChunks(const std::vector<std::string_view>& events,
                                                           std::size_t chunk_size,
                                                           std::size_t max_chunk_bytes);

/**
 * The SDK's batch sender: chunks posted concurrently to `{intake_url}/batch`, each retried with
 * exponential backoff (1 s .. 10 s) for up to an hour. A 413 splits the chunk in two.
 */
class IntakeBatcher final : public IntakeSink {
 public:
  IntakeBatcher(const IntakeOptions& options, http::HttpTransport& transport, Clock& clock,
                Random& random, Logger& logger, Metrics& metrics, HealthState& health);
  ForwardResult Forward(const std::vector<std::string_view>& events, const StopSignal& stop) override;

 private:
  ForwardResult SendChunk(const std::string_view* begin, const std::string_view* end,
                          const StopSignal& stop);

  IntakeOptions options_;
  std::string batch_url_;
  std::string user_agent_;
  http::HttpTransport& transport_;
  Clock& clock_;
  Random& random_;
  std::mutex random_mutex_;
  Logger& logger_;
  Metrics& metrics_;
  HealthState& health_;
};

}  // namespace sekoia::intake
