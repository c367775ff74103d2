#include "sekoia/http/retrying_transport.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "sekoia/errors.hpp"
#include "sekoia/url.hpp"

namespace sekoia::http {
namespace {

// The origin and path of a URL, without its query, for log lines (queries may hold tokens).
std::string Where(const std::string& url) {
  auto parsed = ParseUrl(url);
  if (!parsed) return "(invalid URL)";
  std::string path = parsed->path_and_query.substr(0, parsed->path_and_query.find('?'));
  return parsed->host + path;
}

// Beyond a year, a Retry-After is read as a year; the caller caps it far lower anyway.
constexpr std::time_t kMaxRetryAfterSeconds = 365LL * 24 * 3600;

RetryOptions Bounded(RetryOptions options) {
  options.backoff.max_attempts = std::max(1, options.backoff.max_attempts);
  return options;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, TimePoint now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  // Seconds, whole or decimal: Microsoft's throttling page showed `Retry-After: 2.128` [THR]. A
  // fraction is rounded up to the next second, never dropped: waiting less would be refused again.
  const std::size_t dot = value.find('.');
  const std::string_view whole = value.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : value.substr(dot + 1);
  const auto digits = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!whole.empty() && digits(whole) && digits(fraction) &&
      (dot == std::string_view::npos || !fraction.empty())) {
    if (whole.size() > 9)
      return std::chrono::milliseconds(std::chrono::hours(24 * 365));  // = the date cap
    long long seconds = std::stoll(std::string(whole));
    if (fraction.find_first_not_of('0') != std::string_view::npos) ++seconds;
    return std::chrono::seconds(seconds);
  }
  // An HTTP date: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", or one of the obsolete forms a
  // recipient must accept too (RFC 9110 §5.6.7): RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and
  // asctime "Sun Nov  6 08:49:37 1994".
  const std::time_t now_seconds = std::chrono::system_clock::to_time_t(now);
  const std::string text(value);
  const auto parse = [&text](const char* format, std::tm& tm) {
    tm = std::tm{};
    const char* end = ::strptime(text.c_str(), format, &tm);
    return end != nullptr && *end == '\0';
  };
  std::tm tm{};
  if (!parse("%a, %d %b %Y %H:%M:%S GMT", tm) && !parse("%a %b %d %H:%M:%S %Y", tm)) {
    if (!parse("%A, %d-%b-%y %H:%M:%S GMT", tm)) return std::nullopt;
    // A two-digit year more than 50 years ahead is the most recent past year with those digits
    // (RFC 9110 §5.6.7): the year is the one within (now - 50, now + 50].
    std::tm today{};
    ::gmtime_r(&now_seconds, &today);
    const int this_year = today.tm_year + 1900;
    int year = this_year / 100 * 100 + tm.tm_year % 100;
    if (year > this_year + 50)
      year -= 100;
    else if (year <= this_year - 50)
      year += 100;
    tm.tm_year = year - 1900;
  }
  std::time_t when = ::timegm(&tm);
  // Compared in seconds first: a date centuries away (found by fuzzing: year 2344) would
  // overflow the clock's nanoseconds. Capped like a huge number of seconds.
  if (when > now_seconds + kMaxRetryAfterSeconds)
    return std::chrono::milliseconds(std::chrono::hours(24 * 365));
  if (when < now_seconds - kMaxRetryAfterSeconds) return std::chrono::milliseconds(0);
  auto delta = std::chrono::system_clock::from_time_t(when) - now;
  if (delta < std::chrono::milliseconds(0)) return std::chrono::milliseconds(0);
  // Rounded up like decimal seconds: a date has one-second resolution, and now has more.
  return std::chrono::ceil<std::chrono::seconds>(delta);
}

RetryingTransport::RetryingTransport(const RetryOptions& options, HttpTransport& inner,
                                     Clock& clock, Random& random, Logger& logger)
    : options_(Bounded(options)),
      backoff_(options_.backoff, random),
      inner_(inner),
      clock_(clock),
      logger_(logger) {}

HttpResponse RetryingTransport::Send(const HttpRequest& request, const StopSignal& stop) {
  const SteadyPoint first_attempt = clock_.Steady();
  const auto give_up = [&](int attempt) {
    return backoff_.GiveUp(attempt, std::chrono::duration_cast<std::chrono::milliseconds>(
                                        clock_.Steady() - first_attempt));
  };
  int throttled = 0;
  for (int attempt = 1;; ++attempt) {
    if (stop.Requested()) throw StopRequested();
    std::chrono::milliseconds wait;
    std::string reason;
    bool throttle = false;
    try {
      HttpResponse response = inner_.Send(request, stop);
      // A 429 is the service asking to wait, not a failure: it costs no attempt, within its own
      // bound.
      throttle = response.status == 429 && throttled < options_.max_throttled_retries;
      if (!IsRetryableStatus(response.status) || (!throttle && give_up(attempt))) return response;
      wait = backoff_.Delay(attempt);
      if (auto retry_after = ParseRetryAfter(response.Header("Retry-After"), clock_.Now())) {
        wait = std::min(std::max(*retry_after, std::chrono::milliseconds(0)),
                        options_.max_retry_after);
      }
      reason = "HTTP " + std::to_string(response.status);
      // The ids Microsoft support asks for: its request-id, and ours.
      const std::string request_id = response.Header("request-id");
      if (!request_id.empty()) reason += ", request-id " + request_id.substr(0, 64);
    } catch (const TransportError& error) {
      if (give_up(attempt)) throw;
      wait = backoff_.Delay(attempt);
      reason = error.what();
    }
    // Ours also names a request that got no answer (a timeout) in the service's traces.
    for (const auto& [name, value] : request.headers) {
      if (name == "client-request-id") reason += ", client-request-id " + value;
    }
    if (throttle) {
      ++throttled;
      --attempt;
      logger_.Warning(request.method + " " + Where(request.url) + " throttled (" + reason +
                      "); waiting " + std::to_string(wait.count() / 1000.0).substr(0, 5) +
                      " s as asked, not counted as a failed attempt");
    } else {
      logger_.Warning(request.method + " " + Where(request.url) + " failed (" + reason +
                      "), attempt " + std::to_string(attempt) + " of " +
                      std::to_string(options_.backoff.max_attempts) + "; retrying in " +
                      std::to_string(wait.count() / 1000.0).substr(0, 5) + " s");
    }
    if (!clock_.Wait(wait, stop)) throw StopRequested();
  }
}

}  // namespace sekoia::http
