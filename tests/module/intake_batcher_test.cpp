#include "sekoia/intake/intake_batcher.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_clock.hpp"
#include "fake_transport.hpp"

namespace sekoia::intake {
namespace {

using testing::FakeClock;
using testing::FakeLogger;
using testing::FakeRandom;
using testing::FakeTransport;

TEST(BuildBatchBody, EachEventIsAJsonStringOfItsExactText) {
  std::vector<std::string_view> events = {R"({"a":"x\"y"})", "{\"s\":\"\xC3\xA9\"}"};
  std::string body = BuildBatchBody("key-1", events.data(), events.data() + events.size());
  auto parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed["intake_key"], "key-1");
  ASSERT_EQ(parsed["jsons"].size(), 2u);
  EXPECT_EQ(parsed["jsons"][0].get<std::string>(), events[0]);
  EXPECT_EQ(parsed["jsons"][1].get<std::string>(), events[1]);
}

TEST(BuildBatchBody, IsAllocatedOnceAtItsExactSize) {
  // Records full of quotes grow by far more than an eighth once escaped.
  std::vector<std::string> storage(50, std::string(R"({"a":"b","c":"d","e":"\\"})"));
  std::vector<std::string_view> events(storage.begin(), storage.end());
  std::string body = BuildBatchBody("key-\"1", events.data(), events.data() + events.size());
  EXPECT_LE(body.capacity(), body.size() + 1);
  auto parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed["intake_key"], "key-\"1");
  ASSERT_EQ(parsed["jsons"].size(), 50u);
  EXPECT_EQ(parsed["jsons"][49].get<std::string>(), storage[49]);
}

TEST(PlanChunks, CutsAtChunkSizeAndAtTheByteLimit) {
  std::vector<std::string> storage(10, std::string(100, 'x'));
  std::vector<std::string_view> events(storage.begin(), storage.end());
  EXPECT_EQ(PlanChunks(events, 4, 1 << 20),
            (std::vector<std::pair<std::size_t, std::size_t>>{{0, 4}, {4, 8}, {8, 10}}));
  EXPECT_EQ(PlanChunks(events, 100, 250),
            (std::vector<std::pair<std::size_t, std::size_t>>{{0, 2}, {2, 4}, {4, 6}, {6, 8}, {8, 10}}));
  EXPECT_TRUE(PlanChunks({}, 4, 100).empty());
}

struct Fixture {
  FakeTransport transport;
  FakeClock clock;
  FakeRandom random{0.0};
  FakeLogger logger;
  Metrics metrics{"key-1"};
  HealthState health{HealthOptions{}, clock.Now()};
  IntakeOptions options;
  Fixture() {
    options.intake_url = "https://intake.test";
    options.intake_key = "key-1";
    options.chunk_size = 2;
    options.workers = 3;
  }
  IntakeBatcher Make() { return IntakeBatcher(options, transport, clock, random, logger, metrics, health); }
};

std::vector<std::string> SentEvents(const FakeTransport& transport) {
  std::vector<std::string> events;
  for (const auto& request : transport.requests()) {
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded()) continue;
    for (const auto& e : body["jsons"]) events.push_back(e.get<std::string>());
  }
  std::sort(events.begin(), events.end());
  return events;
}

TEST(IntakeBatcher, SendsEveryChunkWithTheConnectorUserAgent) {
  Fixture f;
  f.transport.SetHandler([](const http::HttpRequest&) { return http::HttpResponse{200, R"({"event_ids":[]})", {}}; });
  auto batcher = f.Make();
  std::vector<std::string_view> events = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}"};
  StopSignal stop;
  EXPECT_EQ(batcher.Forward(events, stop), ForwardResult::kAcknowledged);
  auto requests = f.transport.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.url, "https://intake.test/batch");
    EXPECT_EQ(request.method, "POST");
    bool user_agent = false;
    for (const auto& [k, v] : request.headers) user_agent |= k == "User-Agent" && v == "sekoiaio-connector-key-1";
    EXPECT_TRUE(user_agent);
  }
  EXPECT_EQ(SentEvents(f.transport), (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}"}));
  EXPECT_EQ(f.metrics.forwarded(), 5u);
}

TEST(IntakeBatcher, DiscardsEventsOverTheLimitAndCountsThem) {
  Fixture f;
  f.options.max_event_bytes = 10;
  f.transport.SetHandler([](const http::HttpRequest&) { return http::HttpResponse{200, "{}", {}}; });
  auto batcher = f.Make();
  std::string big(11, 'x');
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{\"a\":1}", big}, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(f.metrics.discarded(), 1u);
  EXPECT_EQ(SentEvents(f.transport), std::vector<std::string>{"{\"a\":1}"});
  EXPECT_TRUE(f.logger.Contains(LogLevel::kWarning, "discarded"));
}

// Issue 12.9: as the SDK, a non-empty push resets /health's error count and last_events_time
// before anything is sent, whatever the intake then answers; an empty push changes nothing.
TEST(IntakeBatcher, ANonEmptyPushResetsTheHealthErrorsBeforeSending) {
  Fixture f;
  f.health.CountError();
  f.health.CountError();
  f.clock.Advance(std::chrono::hours(7));
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({}, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(nlohmann::json::parse(f.health.Render(f.clock.Now()).second)["error_count"], 2);
  EXPECT_EQ(f.health.Render(f.clock.Now()).first, 500);  // 7 h without events

  nlohmann::json seen;
  f.transport.SetHandler([&](const http::HttpRequest&) {
    seen = nlohmann::json::parse(f.health.Render(f.clock.Now()).second);
    return http::HttpResponse{401, "", {}};
  });
  EXPECT_EQ(batcher.Forward({"{\"a\":1}"}, stop), ForwardResult::kRefused);
  EXPECT_EQ(seen["error_count"], 0) << seen.dump();
  EXPECT_EQ(seen["last_events_time"], "2026-01-21T19:53:20") << seen.dump();
  EXPECT_EQ(f.health.Render(f.clock.Now()).first, 200);
}

TEST(IntakeBatcher, RetriesFailuresWithBackoff) {
  Fixture f;
  f.options.chunk_size = 10;
  f.transport.Push({503, "", {}});
  f.transport.Push({-1, "", {}});
  f.transport.Push({200, "{}", {}});
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(f.clock.waits(), (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(500), std::chrono::milliseconds(1000)}));
}

TEST(IntakeBatcher, GivesUpAfterTheRetryPeriod) {
  Fixture f;
  f.options.give_up_after = std::chrono::seconds(30);
  f.transport.SetHandler([](const http::HttpRequest&) { return http::HttpResponse{503, "", {}}; });
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kFailed);
  EXPECT_EQ(f.metrics.forwarded(), 0u);
}

TEST(IntakeBatcher, RefusedKeyIsCriticalAndNotAcknowledged) {
  Fixture f;
  f.transport.Push({401, "{\"message\":\"Invalid intake key\"}", {}});
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kRefused);
  EXPECT_TRUE(f.logger.Contains(LogLevel::kCritical, "intake_key"));
  for (const auto& [level, message] : f.logger.entries()) EXPECT_EQ(message.find("key-1"), std::string::npos);
}

TEST(IntakeBatcher, SplitsAChunkTheIntakeFindsTooLarge) {
  Fixture f;
  f.options.chunk_size = 4;
  f.transport.SetHandler([](const http::HttpRequest& request) {
    auto body = nlohmann::json::parse(request.body);
    return http::HttpResponse{body["jsons"].size() > 1 ? 413 : 200, "{}", {}};
  });
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"}, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(f.metrics.forwarded(), 3u);
}

TEST(IntakeBatcher, StopAbandonsTheRetries) {
  Fixture f;
  f.transport.SetHandler([](const http::HttpRequest&) { return http::HttpResponse{503, "", {}}; });
  auto batcher = f.Make();
  StopSignal stop;
  stop.Request();
  EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kStopped);
}

}  // namespace
}  // namespace sekoia::intake
