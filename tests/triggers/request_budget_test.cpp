#include "request_budget.hpp"

#include <gtest/gtest.h>

#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "sekoia/errors.hpp"

namespace message_trace {
namespace {

// A budget wait of `total` (to the millisecond of margin the last piece may not need), made of
// pieces of at most a minute (each says again what is left).
void ExpectWaitedInMinutes(const std::vector<std::chrono::milliseconds>& waits,
                           std::chrono::milliseconds total) {
  std::chrono::milliseconds sum{0};
  for (auto wait : waits) {
    EXPECT_LE(wait, std::chrono::minutes(1));
    sum += wait;
  }
  EXPECT_LE(sum, total);
  EXPECT_GE(sum, total - std::chrono::milliseconds(1));
  EXPECT_EQ(waits.size(), static_cast<std::size_t>((sum.count() + 59999) / 60000));
}

TEST(PacedTransport, WaitsWhenTheRollingBudgetIsUsedUp) {
  sekoia::testing::FakeTransport inner;
  inner.SetHandler([](const sekoia::http::HttpRequest&) {
    return sekoia::http::HttpResponse{200, "", {}};
  });
  sekoia::testing::FakeClock clock;
  sekoia::testing::FakeLogger logger;
  PacedTransport paced({3, std::chrono::seconds(300)}, inner, clock, logger);
  sekoia::StopSignal stop;
  for (int i = 0; i < 3; ++i) {
    paced.Send({"GET", "https://graph.test/", "", {}}, stop);
    clock.Advance(std::chrono::seconds(10));
  }
  EXPECT_TRUE(clock.waits().empty());
  paced.Send({"GET", "https://graph.test/", "", {}}, stop);  // t=30: the first left at t=300
  ExpectWaitedInMinutes(clock.waits(), std::chrono::milliseconds(270001));
  EXPECT_TRUE(logger.Contains(sekoia::LogLevel::kInfo, "budget of 3"));
  // A line at least every minute of the wait, each with the time left.
  int lines = 0;
  for (const auto& [level, message] : logger.entries())
    lines += message.find("budget of 3") != std::string::npos;
  EXPECT_EQ(lines, 5);
  EXPECT_TRUE(logger.Contains(sekoia::LogLevel::kInfo, "waiting 4m 31s"));
  EXPECT_TRUE(logger.Contains(sekoia::LogLevel::kInfo, "waiting 31s"));
  EXPECT_EQ(inner.requests().size(), 4u);
}

TEST(PacedTransport, AStepOfTheSystemClockNeitherStallsNorFreesTheBudget) {
  sekoia::testing::FakeTransport inner;
  inner.SetHandler([](const sekoia::http::HttpRequest&) {
    return sekoia::http::HttpResponse{200, "", {}};
  });
  sekoia::testing::FakeClock clock;
  sekoia::testing::FakeLogger logger;
  PacedTransport paced({3, std::chrono::seconds(300)}, inner, clock, logger);
  sekoia::StopSignal stop;
  for (int i = 0; i < 3; ++i) paced.Send({"GET", "https://graph.test/", "", {}}, stop);
  clock.StepWall(-std::chrono::hours(1));  // NTP steps the clock back an hour
  clock.Advance(std::chrono::seconds(300));
  paced.Send({"GET", "https://graph.test/", "", {}}, stop);  // 5 minutes later: no wait
  EXPECT_TRUE(clock.waits().empty());
  clock.StepWall(std::chrono::hours(2));  // and forward two hours: the budget is not freed
  for (int i = 0; i < 2; ++i) paced.Send({"GET", "https://graph.test/", "", {}}, stop);
  EXPECT_TRUE(clock.waits().empty());
  paced.Send({"GET", "https://graph.test/", "", {}}, stop);  // the 4th of the period waits
  ExpectWaitedInMinutes(clock.waits(), std::chrono::milliseconds(300001));
}

TEST(PacedTransport, NeverExceedsTheBudgetInAnyWindow) {
  sekoia::testing::FakeTransport inner;
  sekoia::testing::FakeClock clock;
  std::vector<sekoia::TimePoint> sent;
  inner.SetHandler([&](const sekoia::http::HttpRequest&) {
    sent.push_back(clock.Now());
    return sekoia::http::HttpResponse{200, "", {}};
  });
  sekoia::testing::FakeLogger logger;
  PacedTransport paced({100, std::chrono::seconds(300)}, inner, clock, logger);
  sekoia::StopSignal stop;
  for (int i = 0; i < 450; ++i) {
    paced.Send({"GET", "https://graph.test/", "", {}}, stop);
    clock.Advance(std::chrono::milliseconds(700));
  }
  for (std::size_t i = 100; i < sent.size(); ++i)
    EXPECT_GE(sent[i] - sent[i - 100], std::chrono::seconds(300));
}

TEST(PacedTransport, CountsARequestFromWhenItsAnswerCameBack) {
  // Each request takes 2 s: the service may have received the first as late as t=2, so the
  // fourth (budget 3) waits for t=302, not t=300.
  sekoia::testing::FakeTransport inner;
  sekoia::testing::FakeClock clock;
  inner.SetHandler([&](const sekoia::http::HttpRequest&) {
    clock.Advance(std::chrono::seconds(2));
    return sekoia::http::HttpResponse{200, "", {}};
  });
  sekoia::testing::FakeLogger logger;
  PacedTransport paced({3, std::chrono::seconds(300)}, inner, clock, logger);
  sekoia::StopSignal stop;
  for (int i = 0; i < 3; ++i) paced.Send({"GET", "https://graph.test/", "", {}}, stop);
  EXPECT_TRUE(clock.waits().empty());
  paced.Send({"GET", "https://graph.test/", "", {}}, stop);  // at t=6
  ExpectWaitedInMinutes(clock.waits(), std::chrono::milliseconds(296001));
}

TEST(PacedTransport, CountsAFailedRequestFromWhenItFailed) {
  sekoia::testing::FakeTransport inner;
  sekoia::testing::FakeClock clock;
  inner.SetHandler([&](const sekoia::http::HttpRequest&) -> sekoia::http::HttpResponse {
    clock.Advance(std::chrono::seconds(5));
    throw sekoia::TransportError("no answer");
  });
  sekoia::testing::FakeLogger logger;
  PacedTransport paced({1, std::chrono::seconds(300)}, inner, clock, logger);
  sekoia::StopSignal stop;
  EXPECT_THROW(paced.Send({"GET", "https://graph.test/", "", {}}, stop), sekoia::TransportError);
  EXPECT_THROW(paced.Send({"GET", "https://graph.test/", "", {}}, stop),
               sekoia::TransportError);  // at t=5
  ExpectWaitedInMinutes(clock.waits(), std::chrono::milliseconds(300001));
}

TEST(PacedTransport, StopEndsTheWait) {
  sekoia::testing::FakeTransport inner;
  inner.SetHandler([](const sekoia::http::HttpRequest&) {
    return sekoia::http::HttpResponse{200, "", {}};
  });
  sekoia::testing::FakeClock clock;
  sekoia::testing::FakeLogger logger;
  PacedTransport paced({1, std::chrono::seconds(300)}, inner, clock, logger);
  sekoia::StopSignal stop;
  paced.Send({"GET", "https://graph.test/", "", {}}, stop);
  stop.Request();
  EXPECT_THROW(paced.Send({"GET", "https://graph.test/", "", {}}, stop), sekoia::StopRequested);
}

TEST(PacedTransport, DefaultShareLeavesRoomForTheTenantsOtherTools) {
  EXPECT_EQ(RequestBudgetOptions{}.max_requests, 80);
  EXPECT_EQ(RequestBudgetOptions{}.period, std::chrono::seconds(300));
}

// Others of the tenant spent its budget: a 429 waits its Retry-After here (fraction rounded up),
// is sent again without reaching the caller, and the rest of the period is paced evenly.
TEST(PacedTransport, A429SlowsDownForTheRestOfThePeriodAndLogsOnce) {
  sekoia::testing::FakeTransport inner;
  sekoia::testing::FakeClock clock;
  std::vector<sekoia::TimePoint> sent;
  int calls = 0;
  inner.SetHandler([&](const sekoia::http::HttpRequest&) {
    sent.push_back(clock.Now());
    ++calls;
    if (calls == 2 || calls == 5)
      return sekoia::http::HttpResponse{429, "", {{"Retry-After", "7.2"}, {"request-id", "r-1"}}};
    return sekoia::http::HttpResponse{200, "", {}};
  });
  sekoia::testing::FakeLogger logger;
  PacedTransport paced({60, std::chrono::seconds(300)}, inner, clock, logger);
  sekoia::StopSignal stop;
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(paced.Send({"GET", "https://graph.test/", "", {}}, stop).status, 200);
  ASSERT_EQ(sent.size(), 6u);
  const sekoia::TimePoint start = sent[0];
  EXPECT_EQ(sent[1], start);                              // throttled
  EXPECT_EQ(sent[2], start + std::chrono::seconds(8));    // after Retry-After 7.2, rounded up
  EXPECT_EQ(sent[3] - sent[2], std::chrono::seconds(5));  // then 300 s / 60 between requests
  EXPECT_EQ(sent[4] - sent[3], std::chrono::seconds(5));
  EXPECT_EQ(sent[5] - sent[4], std::chrono::seconds(8));  // the second 429 of the period
  int warnings = 0;
  for (const auto& [level, message] : logger.entries()) {
    if (level != sekoia::LogLevel::kWarning) continue;
    ++warnings;
    EXPECT_NE(message.find("HTTP 429, request-id r-1"), std::string::npos) << message;
    EXPECT_NE(message.find("waiting 8s"), std::string::npos) << message;
    EXPECT_NE(message.find("requests_per_5_minutes"), std::string::npos) << message;
  }
  EXPECT_EQ(warnings, 1);  // once per period
  // Past the period, requests go at full pace again, and a new 429 is logged again.
  clock.Advance(std::chrono::seconds(400));
  const std::size_t before = sent.size();
  paced.Send({"GET", "https://graph.test/", "", {}}, stop);
  paced.Send({"GET", "https://graph.test/", "", {}}, stop);
  EXPECT_EQ(sent[before + 1], sent[before]);
}

TEST(PacedTransport, A429ThatLastsGoesBackToTheCaller) {
  sekoia::testing::FakeTransport inner;
  inner.SetHandler([](const sekoia::http::HttpRequest&) {
    return sekoia::http::HttpResponse{429, "", {}};
  });
  sekoia::testing::FakeClock clock;
  sekoia::testing::FakeLogger logger;
  RequestBudgetOptions options;
  options.max_throttled_resends = 3;
  PacedTransport paced(options, inner, clock, logger);
  sekoia::StopSignal stop;
  EXPECT_EQ(paced.Send({"GET", "https://graph.test/", "", {}}, stop).status, 429);
  EXPECT_EQ(inner.requests().size(), 4u);
  // Without Retry-After, one spacing step (300 s / 80) each time.
  for (auto wait : clock.waits()) EXPECT_EQ(wait, std::chrono::milliseconds(3750));
}

TEST(PacedTransport, CountsEachAttemptByOutcomeAndEachBudgetWait) {
  sekoia::testing::FakeTransport inner;
  inner.Push({200, "", {}});
  inner.Push({429, "", {{"Retry-After", "4"}}});  // sent again here after 4 s
  inner.Push({200, "", {}});
  inner.Push({503, "", {}});
  inner.Push({-1, "", {}});  // no answer
  inner.Push({400, "", {}});
  sekoia::testing::FakeClock clock;
  sekoia::testing::FakeLogger logger;
  sekoia::Metrics metrics("k", clock);
  PacedTransport paced({100, std::chrono::seconds(300)}, inner, clock, logger, &metrics);
  sekoia::StopSignal stop;
  for (int i = 0; i < 5; ++i) {
    try {
      paced.Send({"GET", "https://graph.test/", "", {}}, stop);
    } catch (const sekoia::TransportError&) {
    }
    clock.Advance(std::chrono::seconds(10));  // past the spacing that follows a 429
  }
  const std::string text = metrics.RenderPrometheus();
  const std::string name = "symphony_module_common_source_requests_total{intake_key=\"k\",outcome=";
  EXPECT_NE(text.find(name + "\"ok\"} 2.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "\"throttled\"} 1.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "\"failed\"} 3.0\n"), std::string::npos) << text;
  // The 429's Retry-After is waited for a slot: one budget wait of 4 s.
  EXPECT_NE(text.find("symphony_module_common_budget_waits_total{intake_key=\"k\"} 1.0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("symphony_module_common_budget_wait_seconds_total{intake_key=\"k\"} 4.0\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace message_trace
