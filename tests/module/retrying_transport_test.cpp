#include "sekoia/http/retrying_transport.hpp"

#include <gtest/gtest.h>

#include "fake_clock.hpp"
#include "fake_random.hpp"
#include "fake_transport.hpp"

namespace sekoia::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ParseRetryAfter, SecondsAndHttpDates) {
  TimePoint now =
      std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfter("7", now), seconds(7));
  EXPECT_EQ(ParseRetryAfter(" 120 ", now), seconds(120));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now), seconds(10));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:27 GMT", now), milliseconds(0));  // in the past
  EXPECT_FALSE(ParseRetryAfter("", now));
  EXPECT_FALSE(ParseRetryAfter("-3", now));
  EXPECT_FALSE(ParseRetryAfter("soon", now));
  EXPECT_FALSE(ParseRetryAfter("Sun, 06 Nov 1994 08:49:27", now));
}

// Issue 13.2: RFC 9110 section 5.6.7 has a recipient accept the two obsolete date forms too.
TEST(ParseRetryAfter, ObsoleteRfc850AndAsctimeDates) {
  TimePoint now =
      std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:47 GMT", now), seconds(10));
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:27 GMT", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:47 1994", now), seconds(10));
  EXPECT_EQ(ParseRetryAfter("Sun Nov 06 08:50:37 1994", now), seconds(60));
  // A two-digit year more than 50 years ahead is the most recent past year with those digits.
  EXPECT_EQ(ParseRetryAfter("Monday, 07-Nov-44 08:49:37 GMT", now),
            std::chrono::hours(24 * 365));                                              // 2044
  EXPECT_EQ(ParseRetryAfter("Tuesday, 06-Nov-45 08:49:37 GMT", now), milliseconds(0));  // 1945
  const TimePoint later =
      std::chrono::system_clock::from_time_t(1796551200);  // Sun, 06 Dec 2026 10:00:00 GMT
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Dec-26 10:00:10 GMT", later), seconds(10));
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Dec-76 10:00:00 GMT", later),
            std::chrono::hours(24 * 365));                                                // 2076
  EXPECT_EQ(ParseRetryAfter("Tuesday, 06-Dec-77 10:00:00 GMT", later), milliseconds(0));  // 1977
  EXPECT_FALSE(ParseRetryAfter("Sunday, 06-Nov-94 08:49:47", now));
  EXPECT_FALSE(ParseRetryAfter("Sun Nov  6 08:49:47 1994 GMT", now));
  EXPECT_FALSE(ParseRetryAfter("Sun Nov  6 08:49:47", now));
}

// Microsoft's throttling page showed `Retry-After: 2.128` [THR]: a fraction rounds up, never
// ignored.
TEST(ParseRetryAfter, DecimalSecondsRoundUp) {
  TimePoint now = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(ParseRetryAfter("2.128", now), seconds(3));
  EXPECT_EQ(ParseRetryAfter("0.001", now), seconds(1));
  EXPECT_EQ(ParseRetryAfter("10.0", now), seconds(10));
  EXPECT_EQ(ParseRetryAfter(" 4.5 ", now), seconds(5));
  EXPECT_EQ(ParseRetryAfter("0", now), seconds(0));
  EXPECT_EQ(ParseRetryAfter("12345678901.5", now), std::chrono::hours(24 * 365));
  EXPECT_FALSE(ParseRetryAfter("2.", now));
  EXPECT_FALSE(ParseRetryAfter(".5", now));
  EXPECT_FALSE(ParseRetryAfter("1.2.3", now));
  EXPECT_FALSE(ParseRetryAfter("-2.5", now));
  EXPECT_FALSE(ParseRetryAfter("2,5", now));
}

// Found by fuzzing (scripts/fuzz.sh): a date centuries ahead overflowed the clock's nanoseconds.
TEST(ParseRetryAfter, DatesCenturiesAwayAreCappedNotOverflowed) {
  TimePoint now = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 2344 08:49:37 GMT", now), std::chrono::hours(24 * 365));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1344 08:49:37 GMT", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Mon, 06 Nov 1995 08:49:37 GMT", now), std::chrono::hours(24 * 365));
}

struct Fixture {
  testing::FakeTransport inner;
  testing::FakeClock clock;
  testing::FakeRandom random{0.0};  // the lower end: half the cap
  testing::FakeLogger logger;
};

TEST(RetryingTransport, HonoursRetryAfterOn429) {
  Fixture f;
  f.inner.Push({429, "", {{"Retry-After", "7"}}});
  f.inner.Push({200, "{}", {}});
  RetryingTransport transport(RetryOptions{}, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  EXPECT_EQ(transport.Send({"GET", "https://graph.test/x", "", {}}, stop).status, 200);
  EXPECT_EQ(f.clock.waits(), std::vector<milliseconds>{seconds(7)});
  EXPECT_TRUE(f.logger.Contains(LogLevel::kWarning, "HTTP 429"));
}

TEST(RetryingTransport, A429WaitsAsAskedAndSpendsNoAttempt) {
  Fixture f;
  RetryOptions options;
  options.backoff.max_attempts = 2;
  // Three 429s and a 503 within two attempts: the 429s are waits, not failures.
  f.inner.Push({429, "", {{"Retry-After", "2.128"}, {"request-id", "rid-1"}}});
  f.inner.Push({429, "", {{"Retry-After", "5"}}});
  f.inner.Push({503, "", {}});
  f.inner.Push({429, "", {{"Retry-After", "1"}}});
  f.inner.Push({200, "ok", {}});
  RetryingTransport transport(options, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  HttpRequest request{"GET", "https://graph.test/x", "", {{"client-request-id", "crid-1"}}};
  EXPECT_EQ(transport.Send(request, stop).status, 200);
  EXPECT_EQ(f.inner.requests().size(), 5u);
  EXPECT_EQ(f.clock.waits(),
            (std::vector<milliseconds>{seconds(3), seconds(5), milliseconds(500), seconds(1)}));
  EXPECT_TRUE(f.logger.Contains(
      LogLevel::kWarning, "throttled (HTTP 429, request-id rid-1, client-request-id crid-1)"));
  EXPECT_TRUE(f.logger.Contains(LogLevel::kWarning, "attempt 1 of 2"));
  EXPECT_FALSE(f.logger.Contains(LogLevel::kWarning, "attempt 2 of 2"));
}

TEST(RetryingTransport, ThrottledRetriesHaveTheirOwnBound) {
  Fixture f;
  RetryOptions options;
  options.backoff.max_attempts = 2;
  options.max_throttled_retries = 3;
  for (int i = 0; i < 6; ++i) f.inner.Push({429, "", {{"Retry-After", "1"}}});
  RetryingTransport transport(options, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  EXPECT_EQ(transport.Send({"GET", "https://graph.test/x", "", {}}, stop).status, 429);
  // 3 waited out, then the 429 counts as the first failed attempt, then the second ends it.
  EXPECT_EQ(f.inner.requests().size(), 5u);
}

TEST(RetryingTransport, BacksOffExponentiallyOn5xxAndTransportErrors) {
  Fixture f;
  f.inner.Push({503, "", {}});
  f.inner.Push({-1, "", {}});
  f.inner.Push({500, "", {}});
  f.inner.Push({200, "ok", {}});
  RetryOptions options;
  options.backoff.initial = milliseconds(1000);
  RetryingTransport transport(options, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  EXPECT_EQ(transport.Send({"GET", "https://graph.test/x", "", {}}, stop).body, "ok");
  EXPECT_EQ(f.clock.waits(),
            (std::vector<milliseconds>{milliseconds(500), milliseconds(1000), milliseconds(2000)}));
}

// Issue 17.1: the top of the random source waits the whole ceiling (equal jitter: the bottom,
// above, half of it); a 408 is retried like a 5xx.
TEST(RetryingTransport, TheHighestDrawWaitsTheWholeCeiling) {
  Fixture f;
  testing::FakeRandom highest;
  f.inner.Push({408, "", {}});
  f.inner.Push({503, "", {}});
  f.inner.Push({200, "ok", {}});
  RetryingTransport transport(RetryOptions{}, f.inner, f.clock, highest, f.logger);
  StopSignal stop;
  EXPECT_EQ(transport.Send({"GET", "https://graph.test/x", "", {}}, stop).body, "ok");
  EXPECT_EQ(f.clock.waits(), (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000)}));
  EXPECT_TRUE(f.logger.Contains(LogLevel::kWarning,
                                "failed (HTTP 408), attempt 1 of 6; retrying in 1.000 s"));
}

// The give-up bound may be a time too: measured from the first attempt, on the monotonic clock.
TEST(RetryingTransport, GivesUpOnceMaxElapsedHasPassed) {
  Fixture f;
  RetryOptions options;
  options.backoff.max_attempts = 100;
  options.backoff.max_elapsed = milliseconds(2500);
  for (int i = 0; i < 10; ++i) f.inner.Push({503, "", {}});
  RetryingTransport transport(options, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  EXPECT_EQ(transport.Send({"GET", "https://graph.test/x", "", {}}, stop).status, 503);
  // Waits of 0.5, 1 and 2 s: the 4th attempt comes 3.5 s after the first, past the bound.
  EXPECT_EQ(f.inner.requests().size(), 4u);
}

// Issue 13.7: a request that got no answer is named by the id we sent.
TEST(RetryingTransport, ATransportFailureWarningCarriesTheClientRequestId) {
  Fixture f;
  f.inner.Push({-1, "", {}});
  f.inner.Push({200, "ok", {}});
  RetryingTransport transport(RetryOptions{}, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  HttpRequest request{"GET", "https://graph.test/x", "", {{"client-request-id", "crid-7"}}};
  EXPECT_EQ(transport.Send(request, stop).body, "ok");
  EXPECT_TRUE(f.logger.Contains(LogLevel::kWarning,
                                "failed (connection refused (scripted), client-request-id crid-7)"))
      << (f.logger.entries().empty() ? "" : f.logger.entries().front().second);
}

TEST(RetryingTransport, CapsRetryAfterAndBackoff) {
  Fixture f;
  f.inner.Push({429, "", {{"Retry-After", "100000"}}});
  f.inner.Push({200, "", {}});
  RetryOptions options;
  options.max_retry_after = seconds(600);
  RetryingTransport transport(options, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  transport.Send({"GET", "https://graph.test/x", "", {}}, stop);
  EXPECT_EQ(f.clock.waits(), std::vector<milliseconds>{seconds(600)});
}

TEST(RetryingTransport, ReturnsNonRetryableAndLastAnswers) {
  Fixture f;
  f.inner.Push({403, "denied", {}});
  RetryOptions options;
  options.backoff.max_attempts = 2;
  RetryingTransport transport(options, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  EXPECT_EQ(transport.Send({"GET", "https://graph.test/x", "", {}}, stop).status, 403);
  f.inner.Push({502, "", {}});
  f.inner.Push({502, "last", {}});
  EXPECT_EQ(transport.Send({"GET", "https://graph.test/x", "", {}}, stop).body, "last");
  f.inner.Push({-1, "", {}});
  f.inner.Push({-1, "", {}});
  EXPECT_THROW(transport.Send({"GET", "https://graph.test/x", "", {}}, stop), TransportError);
}

TEST(RetryingTransport, StopEndsTheRetries) {
  Fixture f;
  f.inner.Push({503, "", {}});
  RetryingTransport transport(RetryOptions{}, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  stop.Request();
  EXPECT_THROW(transport.Send({"GET", "https://graph.test/x", "", {}}, stop), StopRequested);
}

TEST(RetryingTransport, LogsNoQueryString) {
  Fixture f;
  f.inner.Push({500, "", {}});
  f.inner.Push({200, "", {}});
  RetryingTransport transport(RetryOptions{}, f.inner, f.clock, f.random, f.logger);
  StopSignal stop;
  transport.Send({"GET", "https://graph.test/x?$skiptoken=SECRETISH", "", {}}, stop);
  for (const auto& [level, message] : f.logger.entries())
    EXPECT_EQ(message.find("SECRETISH"), std::string::npos);
}

}  // namespace
}  // namespace sekoia::http
