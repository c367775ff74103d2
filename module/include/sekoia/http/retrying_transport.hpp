#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>

#include "sekoia/backoff.hpp"
#include "sekoia/clock.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/logger.hpp"
#include "sekoia/random.hpp"

namespace sekoia::http {

struct RetryOptions final {
  /// Waits of 1 s, 2 s, 4 s... at most 60 s (equal jitter, see Backoff); 6 attempts, the first
  /// counted. A max_attempts below 1 is read as 1: a request is never retried without a bound.
  BackoffOptions backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000), 6,
                         std::chrono::milliseconds(0)};
  std::chrono::milliseconds max_retry_after{600000};  ///< ceiling for a server's Retry-After
  int max_throttled_retries = 20;  ///< 429 answers waited out without spending an attempt
};

/** Parses Retry-After: whole or decimal seconds (a fraction rounds up to the next second) or an
 *  HTTP date (RFC 9110 section 10.2.3) in any of its three forms, IMF-fixdate, RFC 850 and asctime
 *  (section 5.6.7); nullopt when invalid. */
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, TimePoint now);

/**
 * Retries what IsRetryableStatus names (408, 429, 5xx) and transport errors, waiting as Backoff
 * draws (capped exponential, equal jitter) or as a Retry-After asks (up to max_retry_after), until
 * Backoff::GiveUp. A 429 waits as asked and spends no attempt (up to `max_throttled_retries` of
 * them). Returns the last answer when attempts run out (the caller
 * reports its status); rethrows the last TransportError. Each retry logs a warning naming the
 * status, the answer's `request-id` and the request's `client-request-id`.
 */
class RetryingTransport final : public HttpTransport {
 public:
  RetryingTransport(const RetryOptions& options, HttpTransport& inner, Clock& clock, Random& random,
                    Logger& logger);
  HttpResponse Send(const HttpRequest& request, const StopSignal& stop) override;

 private:
  RetryOptions options_;
  Backoff backoff_;
  HttpTransport& inner_;
  Clock& clock_;
  Logger& logger_;
};

}  // namespace sekoia::http
