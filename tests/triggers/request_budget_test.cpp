#include "request_budget.hpp"

#include <gtest/gtest.h>

#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "sekoia/errors.hpp"

namespace office365 {
namespace {

TEST(PacedTransport, WaitsWhenTheRollingBudgetIsUsedUp) {
  sekoia::testing::FakeTransport inner;
  inner.SetHandler([](const sekoia::http::HttpRequest&) { return sekoia::http::HttpResponse{200, "", {}}; });
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
  EXPECT_EQ(clock.waits(), std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(270001)});
  EXPECT_TRUE(logger.Contains(sekoia::LogLevel::kInfo, "budget of 3"));
  EXPECT_EQ(inner.requests().size(), 4u);
  EXPECT_EQ(paced.InPeriod(), 3);
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
  for (std::size_t i = 100; i < sent.size(); ++i) EXPECT_GE(sent[i] - sent[i - 100], std::chrono::seconds(300));
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
  EXPECT_EQ(clock.waits(), std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(296001)});
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
  EXPECT_EQ(paced.InPeriod(), 1);
  EXPECT_THROW(paced.Send({"GET", "https://graph.test/", "", {}}, stop), sekoia::TransportError);  // at t=5
  EXPECT_EQ(clock.waits(), std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(300001)});
}

TEST(PacedTransport, StopEndsTheWait) {
  sekoia::testing::FakeTransport inner;
  inner.SetHandler([](const sekoia::http::HttpRequest&) { return sekoia::http::HttpResponse{200, "", {}}; });
  sekoia::testing::FakeClock clock;
  sekoia::testing::FakeLogger logger;
  PacedTransport paced({1, std::chrono::seconds(300)}, inner, clock, logger);
  sekoia::StopSignal stop;
  paced.Send({"GET", "https://graph.test/", "", {}}, stop);
  stop.Request();
  EXPECT_THROW(paced.Send({"GET", "https://graph.test/", "", {}}, stop), sekoia::StopRequested);
}

}  // namespace
}  // namespace office365
