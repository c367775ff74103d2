#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <set>

#include "sekoia/clock.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/logger.hpp"
#include "sekoia/metrics.hpp"

namespace message_trace {

/** Microsoft's budget: 100 message-trace requests per 5 minutes per tenant [THL], shared by every
 *  caller of the tenant (portal, PowerShell, other tools [BLOG]). */
constexpr int kMicrosoftRequestsPer5Minutes = 100;
/** The share this trigger takes by default, leaving the rest to the tenant's other callers. */
constexpr int kDefaultRequestsPer5Minutes = 80;

struct RequestBudgetOptions final {
  int max_requests = kDefaultRequestsPer5Minutes;  ///< this trigger's share of the tenant's budget
  std::chrono::seconds period{300};                ///< per rolling 5 minutes
  int max_throttled_resends = 12;  ///< 429s waited out here before the 429 goes to the caller
};

/**
 * Paces requests to stay within a rolling budget: before a request that would exceed it, waits
 * until the oldest request of the period leaves it. Every attempt counts, retries included, from
 * when its answer (or failure) came back: the latest the service can have received it, so a
 * request that took long to arrive cannot make a later one early.
 *
 * The budget is the tenant's, shared with callers this process cannot see: when a 429 comes all
 * the same, the request is sent again after its Retry-After (or one spacing step when it gives
 * none), and for the rest of the period (`period` from that 429) requests are spaced evenly,
 * one per `period / max_requests`, instead of in bursts; the retries of the caller are not spent.
 * Each wait for the budget is logged (info) with its length; a 429 is logged (warning) at most
 * once per period, with the wait. With `metrics`, each attempt is counted by outcome (ok,
 * throttled, failed) and each wait for the budget with its length. Thread-safe.
 */
class PacedTransport final : public sekoia::http::HttpTransport {
 public:
  PacedTransport(const RequestBudgetOptions& options, sekoia::http::HttpTransport& inner,
                 sekoia::Clock& clock, sekoia::Logger& logger, sekoia::Metrics* metrics = nullptr)
      : options_(options), inner_(inner), clock_(clock), logger_(logger), metrics_(metrics) {}
  sekoia::http::HttpResponse Send(const sekoia::http::HttpRequest& request,
                                  const sekoia::StopSignal& stop) override;

 private:
  /** Waits for a slot (budget and, while slowed down, spacing), then takes it. */
  std::multiset<sekoia::SteadyPoint>::iterator TakeSlot(const sekoia::StopSignal& stop);
  std::chrono::milliseconds Spacing() const;

  RequestBudgetOptions options_;
  sekoia::http::HttpTransport& inner_;
  sekoia::Clock& clock_;
  sekoia::Logger& logger_;
  sekoia::Metrics* metrics_;  ///< may be null
  std::mutex mutex_;
  // Monotonic times: a step of the system clock must neither stall the budget (a step back would
  // keep every request "in the period" for as long as the step) nor free it early.
  std::multiset<sekoia::SteadyPoint>
      sent_;  ///< when each request of the period was sent, then answered
  std::optional<sekoia::SteadyPoint> slow_until_;  ///< after a 429: spaced requests until then
  sekoia::SteadyPoint next_allowed_{};  ///< while slowed down: the next request's earliest time
  std::optional<sekoia::SteadyPoint> throttle_logged_;  ///< the last "throttled" line
};

}  // namespace message_trace
