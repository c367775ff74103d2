#pragma once

#include <chrono>
#include <set>
#include <mutex>

#include "sekoia/clock.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/log.hpp"

namespace office365 {

struct RequestBudgetOptions final {
  int max_requests = 100;                 ///< Microsoft: 100 message-trace requests per tenant
  std::chrono::seconds period{300};       ///< per rolling 5 minutes
};

/**
 * Paces requests to stay within a rolling budget: before a request that would exceed it, waits
 * until the oldest request of the period leaves it (and logs that it waits). Every attempt counts,
 * retries included, from when its answer (or failure) came back: the latest the service can have
 * received it, so a request that took long to arrive cannot make a later one early. Thread-safe.
 */
class PacedTransport final : public sekoia::http::HttpTransport {
 public:
  PacedTransport(const RequestBudgetOptions& options, sekoia::http::HttpTransport& inner, sekoia::Clock& clock,
                 sekoia::Logger& logger)
      : options_(options), inner_(inner), clock_(clock), logger_(logger) {}
  sekoia::http::HttpResponse Send(const sekoia::http::HttpRequest& request, const sekoia::StopSignal& stop) override;
  /** Requests sent in the current period. */
  int InPeriod();

 private:
  RequestBudgetOptions options_;
  sekoia::http::HttpTransport& inner_;
  sekoia::Clock& clock_;
  sekoia::Logger& logger_;
  std::mutex mutex_;
  std::multiset<sekoia::TimePoint> sent_;  ///< when each request of the period was sent, then answered
};

}  // namespace office365
