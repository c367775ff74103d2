#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sekoia/backoff.hpp"
#include "sekoia/clock.hpp"
#include "sekoia/health.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/logger.hpp"
#include "sekoia/metrics.hpp"
#include "sekoia/random.hpp"

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
  virtual ForwardResult Forward(const std::vector<std::string_view>& events,
                                const StopSignal& stop) = 0;
  /** The caller will not forward for a while (caught up, about to sleep): buffers kept from call
   *  to call for speed may be given back to the system. Not concurrent with Forward. */
  virtual void ReleaseMemory() {}
};

struct IntakeOptions final {
  std::string intake_url;                 ///< base, e.g. https://intake.sekoia.io (no /batch)
  std::string intake_key;                 ///< secret-ish: never logged
  std::size_t chunk_size = 1000;          ///< events per request at most
  std::size_t max_chunk_bytes = 9437184;  ///< 0.9 x 10 MiB of event text, as the SDK cuts
  std::size_t max_event_bytes = 250000;   ///< longer events are discarded (logged, counted)
  int workers = 4;                        ///< chunks in flight at once
  /// A helper thread with no chunk to send for this long ends (started again when a page needs
  /// it): a trigger at rest, one small batch a minute, keeps none standing.
  std::chrono::milliseconds helper_idle{30000};
  /// Waits of 1 s, 2 s, 4 s... at most 10 s (equal jitter, see Backoff); a chunk is retried for
  /// an hour since its first attempt, then kFailed.
  BackoffOptions backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(10000), 0,
                         std::chrono::milliseconds(3600000)};
  /** Top-level members whose value names an event in the log line of its discard (the first
   *  present wins), e.g. a record's id; none: the event is named by its length only. */
  std::vector<std::string> event_id_fields;
};

/** The body of POST /batch: {"intake_key": ..., "jsons": [<each event as a JSON string>]}. */
std::string BuildBatchBody(std::string_view intake_key, const std::string_view* begin,
                           const std::string_view* end);

/** The same body written into `body`, whose capacity is kept: a buffer reused from batch to batch.
 */
void BuildBatchBody(std::string_view intake_key, const std::string_view* begin,
                    const std::string_view* end, std::string& body);

/** Splits events into chunks of at most `chunk_size` events and `max_chunk_bytes` bytes,
 *  as [begin, end) index pairs. Events must already be under the per-event limit. */
std::vector<std::pair<std::size_t, std::size_t>> PlanChunks(
    const std::vector<std::string_view>& events, std::size_t chunk_size,
    std::size_t max_chunk_bytes);

/**
 * The SDK's batch sender: chunks posted concurrently to `{intake_url}/batch`. A transport error,
 * 408, 429 or 5xx (IsRetryableStatus) is retried as `options.backoff` says (1 s .. 10 s, for up
 * to an hour), then kFailed. A 413 splits the chunk in two. A 400 or 422 is final for a chunk:
 * it is bisected until the event the intake refuses is alone, and that event is discarded
 * (logged, counted in discarded_events), the others sent. A 401, 403 or 404 is kRefused; any
 * other status is kFailed at once (the same batch would get the same answer).
 *
 * The calling thread sends chunks too; up to `workers - 1` standing threads help it, started
 * when first needed and asleep between calls; one idle for `helper_idle` ends, so none stand at
 * rest, and frees its batch body as it ends. Each sender keeps its batch body from call to call
 * (cleared, capacity kept) until then or ReleaseMemory. Forward is not reentrant: one call at a
 * time.
 */
class IntakeBatcher final : public IntakeSink {
 public:
  IntakeBatcher(const IntakeOptions& options, http::HttpTransport& transport, Clock& clock,
                Random& random, Logger& logger, Metrics& metrics, HealthState& health);
  /** Ends and joins the standing threads (they are idle: Forward has returned). */
  ~IntakeBatcher() override;
  IntakeBatcher(const IntakeBatcher&) = delete;
  IntakeBatcher& operator=(const IntakeBatcher&) = delete;
  ForwardResult Forward(const std::vector<std::string_view>& events,
                        const StopSignal& stop) override;
  /** Frees every sender's batch body and the chunk plan, and returns the process's free heap
   *  pages to the system (glibc malloc_trim); the next Forward allocates them again. */
  void ReleaseMemory() override;

  /** Helper threads standing now (at most `workers - 1`). */
  std::size_t threads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<std::size_t>(std::count(ended_.begin(), ended_.end(), false));
  }

 private:
  /** Sends the chunks of the current call, taken in turn, with the request buffer `slot`. */
  void SendChunks(std::size_t slot) noexcept;
  /** A helper's life: `seen` is the last call it need not take part in. */
  void WorkerLoop(std::size_t slot, std::uint64_t seen) noexcept;
  ForwardResult SendChunk(const std::string_view* begin, const std::string_view* end,
                          const StopSignal& stop, http::HttpRequest& request, bool split);
  void Discard(std::string_view event, int status, const std::string& answer);

  IntakeOptions options_;
  std::string batch_url_;
  std::string user_agent_;
  http::HttpTransport& transport_;
  Clock& clock_;
  Backoff backoff_;
  Logger& logger_;
  Metrics& metrics_;
  HealthState& health_;

  // Buffers kept from call to call: the kept events, the chunk plan, a request per sender.
  std::vector<std::string_view> kept_;
  std::vector<std::pair<std::size_t, std::size_t>> chunks_;
  std::vector<ForwardResult> results_;
  std::vector<http::HttpRequest> requests_;  ///< [0]: the calling thread's; [i]: thread i's
  std::atomic<std::size_t> next_chunk_{0};
  const StopSignal* stop_ = nullptr;  ///< the current call's

  mutable std::mutex mutex_;      // guards what follows
  std::condition_variable work_;  ///< workers wait here for a call (or the end)
  std::condition_variable done_;  ///< the caller waits here for its helpers
  std::uint64_t call_ = 0;        ///< bumped for each call that wants helpers
  std::size_t wanted_ = 0;        ///< helpers the current call wants
  std::size_t joined_ = 0;        ///< helpers that took part in it
  std::size_t finished_ = 0;      ///< helpers done with it
  bool ending_ = false;
  std::vector<std::thread> threads_;  ///< [i]: helper i + 1, standing or ended (to be joined)
  std::vector<bool> ended_;           ///< [i]: helper i + 1 ended after being idle
};

}  // namespace sekoia::intake
