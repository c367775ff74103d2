#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>

#include "sekoia/clock.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/logger.hpp"

namespace sekoia::http {

struct RetryOptions final {
  int max_attempts = 6;                              ///< counts the first attempt
  std::chrono::milliseconds initial_backoff{1000};   ///< first wait, before jitter
  std::chrono::milliseconds max_backoff{60000};      ///< cap of the exponential backoff
  std::chrono::milliseconds max_retry_after{600000}; ///< ceiling for a server's Retry-After
  int max_throttled_retries = 20;                    ///< 429 answers waited out without spending an attempt
};

/** Parses Retry-After: whole or decimal seconds (a fraction rounds up to the next second) or an
 *  HTTP date (RFC 9110 section 10.2.3) in any of its three forms, IMF-fixdate, RFC 850 and asctime
 *  (section 5.6.7); nullopt when invalid. */
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, TimePoint now);

/** True for the statuses worth another attempt: 408, 429 and 5xx. */
bool IsRetryableStatus(int status);

/**
 * Retries transport errors, 408, 429 and 5xx with capped exponential backoff and full jitter,
 * honouring Retry-After. A 429 waits as asked and spends no attempt (up to
 * `max_throttled_retries` of them). Returns the last answer when attempts run out (the caller
 * reports its status); rethrows the last TransportError. Each retry logs a warning naming the
 * status, the answer's `request-id` and the request's `client-request-id`.
 */
class RetryingTransport final : public HttpTransport {
 public:
  RetryingTransport(const RetryOptions& options, HttpTransport& inner, Clock& clock, Random& random,
                    Logger& logger);
  HttpResponse Send(const HttpRequest& request, const StopSignal& stop) override;

 private:
  std::chrono::milliseconds Backoff(int attempt);

  RetryOptions options_;
  HttpTransport& inner_;
  Clock& clock_;
  Random& random_;
  Logger& logger_;
  std::mutex random_mutex_;
};

}  // namespace sekoia::http
