#include "sekoia/intake/intake_batcher.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "fake_clock.hpp"
#include "fake_random.hpp"
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
  EXPECT_EQ(PlanChunks(events, 100, 250), (std::vector<std::pair<std::size_t, std::size_t>>{
                                              {0, 2}, {2, 4}, {4, 6}, {6, 8}, {8, 10}}));
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
  IntakeBatcher Make() {
    return IntakeBatcher(options, transport, clock, random, logger, metrics, health);
  }
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
  f.transport.SetHandler([](const http::HttpRequest&) {
    return http::HttpResponse{200, R"({"event_ids":[]})", {}};
  });
  auto batcher = f.Make();
  std::vector<std::string_view> events = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}",
                                          "{\"n\":5}"};
  StopSignal stop;
  EXPECT_EQ(batcher.Forward(events, stop), ForwardResult::kAcknowledged);
  auto requests = f.transport.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.url, "https://intake.test/batch");
    EXPECT_EQ(request.method, "POST");
    bool user_agent = false;
    for (const auto& [k, v] : request.headers)
      user_agent |= k == "User-Agent" && v == "sekoiaio-connector-key-1";
    EXPECT_TRUE(user_agent);
  }
  EXPECT_EQ(
      SentEvents(f.transport),
      (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}"}));
  EXPECT_EQ(f.metrics.forwarded(), 5u);
}

TEST(IntakeBatcher, DiscardsEventsOverTheLimitAndCountsThem) {
  Fixture f;
  f.options.max_event_bytes = 10;
  f.transport.SetHandler([](const http::HttpRequest&) {
    return http::HttpResponse{200, "{}", {}};
  });
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
  EXPECT_EQ(f.clock.waits(), (std::vector<std::chrono::milliseconds>{
                                 std::chrono::milliseconds(500), std::chrono::milliseconds(1000)}));
}

// Issue 17.1: one retry policy. 408 and 429 are retried like 5xx and lost connections.
TEST(IntakeBatcher, RetriesWhatTheRetryPolicyNames) {
  Fixture f;
  f.options.chunk_size = 10;
  f.transport.Push({408, "", {}});
  f.transport.Push({429, "", {}});
  f.transport.Push({502, "", {}});
  f.transport.Push({200, "{}", {}});
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(f.clock.waits(), (std::vector<std::chrono::milliseconds>{
                                 std::chrono::milliseconds(500), std::chrono::milliseconds(1000),
                                 std::chrono::milliseconds(2000)}));
  EXPECT_TRUE(f.logger.Contains(
      LogLevel::kWarning,
      "sending events to the intake failed (HTTP 429), attempt 2; retrying in 1000 ms"));
}

// A status the policy does not retry, and to which the intake gives no meaning of its own, fails
// the batch at once: sent again for an hour, it would get the same answer each time.
TEST(IntakeBatcher, AStatusThePolicyDoesNotRetryFailsTheBatchAtOnce) {
  for (int status : {302, 405, 409}) {
    Fixture f;
    f.options.chunk_size = 10;
    f.transport.Push({status, "{\"message\":\"no\"}", {}});
    auto batcher = f.Make();
    StopSignal stop;
    EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kFailed) << status;
    EXPECT_EQ(f.transport.requests().size(), 1u) << status;
    EXPECT_TRUE(f.clock.waits().empty()) << status;
    EXPECT_TRUE(
        f.logger.Contains(LogLevel::kError, "the intake answered HTTP " + std::to_string(status) +
                                                ": {\"message\":\"no\"}, which the same batch"))
        << status;
    EXPECT_EQ(f.metrics.forwarded(), 0u);
  }
}

TEST(IntakeBatcher, GivesUpAfterTheRetryPeriod) {
  Fixture f;
  f.options.backoff.max_elapsed = std::chrono::seconds(30);
  f.transport.SetHandler([](const http::HttpRequest&) { return http::HttpResponse{503, "", {}}; });
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kFailed);
  EXPECT_EQ(f.metrics.forwarded(), 0u);
  // 0.5 + 1 + 2 + 4 + 5 + 5 + 5 + 5 + 5 = 32.5 s: the attempt after the 30th second is the last.
  EXPECT_EQ(f.transport.requests().size(), 10u);
  EXPECT_TRUE(f.logger.Contains(LogLevel::kError,
                                "the intake failed for 32 s (HTTP 503); giving up this batch"));
}

TEST(IntakeBatcher, RefusedKeyIsCriticalAndNotAcknowledged) {
  Fixture f;
  f.transport.Push({401, "{\"message\":\"Invalid intake key\"}", {}});
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kRefused);
  EXPECT_TRUE(f.logger.Contains(LogLevel::kCritical, "intake_key"));
  for (const auto& [level, message] : f.logger.entries())
    EXPECT_EQ(message.find("key-1"), std::string::npos);
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
  EXPECT_EQ(batcher.Forward({"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"}, stop),
            ForwardResult::kAcknowledged);
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

// An intake that answers `status` to any batch holding an event containing `marker`, as the real
// one answers a batch it cannot parse or an event it refuses.
http::HttpResponse RefuseMarked(const http::HttpRequest& request, const std::string& marker,
                                int status) {
  auto body = nlohmann::json::parse(request.body);
  for (const auto& event : body["jsons"]) {
    if (event.get<std::string>().find(marker) != std::string::npos)
      return http::HttpResponse{status, R"({"message":"Invalid event"})", {}};
  }
  return http::HttpResponse{200, R"({"event_ids":[]})", {}};
}

// The events of the batches RefuseMarked accepted.
std::vector<std::string> AcceptedEvents(const FakeTransport& transport, const std::string& marker) {
  std::vector<std::string> events;
  for (const auto& request : transport.requests()) {
    if (request.body.find(marker) != std::string::npos) continue;
    const auto body = nlohmann::json::parse(request.body);
    for (const auto& e : body["jsons"]) events.push_back(e.get<std::string>());
  }
  std::sort(events.begin(), events.end());
  return events;
}

std::vector<std::string> NumberedEvents(int n, int poisoned) {
  std::vector<std::string> events;
  for (int i = 0; i < n; ++i) {
    events.push_back("{\"id\":\"trace-" + std::to_string(i) + "\"" +
                     (i == poisoned ? ",\"bad\":\"POISON\"" : "") + "}");
  }
  return events;
}

void ExpectIsolatesOneEvent(int status) {
  for (int poisoned : {0, 6, 12}) {
    Fixture f;
    f.options.chunk_size = 13;
    f.options.event_id_fields = {"id"};
    f.transport.SetHandler(
        [status](const http::HttpRequest& r) { return RefuseMarked(r, "POISON", status); });
    auto batcher = f.Make();
    std::vector<std::string> storage = NumberedEvents(13, poisoned);
    std::vector<std::string_view> events(storage.begin(), storage.end());
    StopSignal stop;
    EXPECT_EQ(batcher.Forward(events, stop), ForwardResult::kAcknowledged) << poisoned;
    storage.erase(storage.begin() + poisoned);
    std::sort(storage.begin(), storage.end());
    EXPECT_EQ(AcceptedEvents(f.transport, "POISON"), storage)
        << "every other event is acknowledged once";
    EXPECT_EQ(f.metrics.forwarded(), 12u);
    EXPECT_EQ(f.metrics.discarded(), 1u);
    EXPECT_TRUE(f.logger.Contains(LogLevel::kError, "id trace-" + std::to_string(poisoned)))
        << "the discard names the event";
    EXPECT_TRUE(f.logger.Contains(
        LogLevel::kError, "HTTP " + std::to_string(status) + ": {\"message\":\"Invalid event\"}"));
    EXPECT_TRUE(f.clock.waits().empty()) << "a 400/422 is final: no retry";
    // Halving 13 events down to one takes at most 2 * ceil(log2 13) requests after the first.
    EXPECT_LE(f.transport.requests().size(), 1u + 2u * 4u);
    int warnings = 0;
    for (const auto& [level, message] : f.logger.entries()) warnings += level == LogLevel::kWarning;
    EXPECT_EQ(warnings, 1) << "one warning for the chunk, not one per halving";
  }
}

TEST(IntakeBatcher, BadRequestIsolatesAndDiscardsExactlyTheRefusedEvent) {
  ExpectIsolatesOneEvent(400);
}

TEST(IntakeBatcher, UnprocessableIsolatesAndDiscardsExactlyTheRefusedEvent) {
  ExpectIsolatesOneEvent(422);
}

TEST(IntakeBatcher, TwoRefusedEventsInSeveralChunksAreBothDiscardedAndTheRestSent) {
  Fixture f;
  f.options.chunk_size = 4;
  f.options.workers = 4;
  f.transport.SetHandler([](const http::HttpRequest& r) { return RefuseMarked(r, "POISON", 400); });
  auto batcher = f.Make();
  std::vector<std::string> storage = NumberedEvents(16, 3);
  storage[9] = R"({"id":"x","POISON":1})";
  std::vector<std::string_view> events(storage.begin(), storage.end());
  StopSignal stop;
  EXPECT_EQ(batcher.Forward(events, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(f.metrics.forwarded(), 14u);
  EXPECT_EQ(f.metrics.discarded(), 2u);
  EXPECT_TRUE(f.logger.Contains(LogLevel::kError, "an event of "))
      << "without id fields, named by its length";
}

TEST(IntakeBatcher, AnAnswerEchoingTheKeyIsLoggedMasked) {
  Fixture f;
  f.options.chunk_size = 10;
  f.transport.Push({400, "{\"message\":\"bad batch for key-1\"}", {}});
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(f.metrics.discarded(), 1u);
  for (const auto& [level, message] : f.logger.entries())
    EXPECT_EQ(message.find("key-1"), std::string::npos) << message;
}

TEST(IntakeBatcher, StandingThreadsAndBatchBuffersServeEveryPage) {
  Fixture f;
  f.options.chunk_size = 2;
  f.options.workers = 4;
  std::mutex mutex;
  std::set<std::thread::id> senders;
  std::set<const char*> buffers;
  f.transport.SetHandler([&](const http::HttpRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    senders.insert(std::this_thread::get_id());
    buffers.insert(request.body.data());
    return http::HttpResponse{200, "{}", {}};
  });
  auto batcher = f.Make();
  std::vector<std::string> storage = NumberedEvents(8, -1);  // 4 chunks of 2
  std::vector<std::string_view> events(storage.begin(), storage.end());
  StopSignal stop;
  for (int page = 0; page < 20; ++page)
    ASSERT_EQ(batcher.Forward(events, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(batcher.threads(), 3u) << "the caller and 3 standing threads: the SDK's 4";
  EXPECT_LE(senders.size(), 4u) << "threads made per page would give up to 61 senders";
  EXPECT_LE(buffers.size(), 4u) << "a batch body per sender, kept from page to page";
  EXPECT_EQ(f.metrics.forwarded(), 160u);
  // A page of a single chunk is sent by the caller alone.
  EXPECT_EQ(batcher.Forward({"{}"}, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(batcher.threads(), 3u);
}

TEST(IntakeBatcher, ThreadsAreStartedOnlyWhenAPageNeedsThem) {
  Fixture f;
  f.options.chunk_size = 10;
  f.options.workers = 4;
  f.transport.SetHandler([](const http::HttpRequest&) {
    return http::HttpResponse{200, "{}", {}};
  });
  auto batcher = f.Make();
  StopSignal stop;
  EXPECT_EQ(batcher.Forward({"{\"a\":1}", "{\"a\":2}"}, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(batcher.threads(), 0u);
}

TEST(IntakeBatcher, IdleHelpersEndSoNoneStandAtRestAndComeBackForTheNextLargePage) {
  Fixture f;
  f.options.chunk_size = 2;
  f.options.workers = 4;
  f.options.helper_idle = std::chrono::milliseconds(100);
  f.transport.SetHandler([](const http::HttpRequest&) {
    return http::HttpResponse{200, "{}", {}};
  });
  auto batcher = f.Make();
  std::vector<std::string> storage = NumberedEvents(8, -1);  // 4 chunks of 2
  std::vector<std::string_view> events(storage.begin(), storage.end());
  StopSignal stop;
  ASSERT_EQ(batcher.Forward(events, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(batcher.threads(), 3u);
  // Idle past helper_idle (real time: the helpers wait on a condition variable).
  for (int i = 0; i < 100 && batcher.threads() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(batcher.threads(), 0u);
  ASSERT_EQ(batcher.Forward(events, stop), ForwardResult::kAcknowledged);
  EXPECT_EQ(batcher.threads(), 3u);
  EXPECT_EQ(f.metrics.forwarded(), 16u);
}

TEST(IntakeBatcher, ReleasedBuffersComeBackForTheNextPageAndEveryEventIsSent) {
  Fixture f;
  f.options.chunk_size = 2;
  f.options.workers = 4;
  std::mutex mutex;
  std::vector<std::string> bodies;
  f.transport.SetHandler([&](const http::HttpRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    bodies.push_back(request.body);
    return http::HttpResponse{200, "{}", {}};
  });
  auto batcher = f.Make();
  std::vector<std::string> storage = NumberedEvents(8, -1);  // 4 chunks of 2
  std::vector<std::string_view> events(storage.begin(), storage.end());
  StopSignal stop;
  for (int page = 0; page < 3; ++page) {
    ASSERT_EQ(batcher.Forward(events, stop), ForwardResult::kAcknowledged);
    batcher.ReleaseMemory();  // as the collector does before each rest
    EXPECT_EQ(batcher.threads(), 3u) << "the helpers stay: only their buffers go";
  }
  ASSERT_EQ(bodies.size(), 12u);
  // Each page's bodies are whole, exactly as built from the events (not a freed buffer's bytes).
  std::multiset<std::string> expected, sent(bodies.begin(), bodies.end());
  for (int page = 0; page < 3; ++page) {
    for (std::size_t i = 0; i < 8; i += 2)
      expected.insert(BuildBatchBody("key-1", &events[i], &events[i] + 2));
  }
  EXPECT_EQ(sent, expected);
  EXPECT_EQ(f.metrics.forwarded(), 24u);
}

TEST(BuildBatchBody, ReusesTheBufferItIsGiven) {
  std::vector<std::string_view> events = {R"({"a":"x"})", R"({"b":"y"})"};
  std::string body;
  body.reserve(4096);
  const char* data = body.data();
  BuildBatchBody("key-1", events.data(), events.data() + 2, body);
  EXPECT_EQ(body, BuildBatchBody("key-1", events.data(), events.data() + 2));
  BuildBatchBody("key-1", events.data(), events.data() + 1, body);
  EXPECT_EQ(body, BuildBatchBody("key-1", events.data(), events.data() + 1))
      << "nothing left of the longer body";
  EXPECT_EQ(body.data(), data) << "no new allocation";
}

}  // namespace
}  // namespace sekoia::intake
