#include "sekoia/platform_logger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "sekoia/logger.hpp"
#include "sekoia/redaction.hpp"
#include "sekoia/stream_logger.hpp"

namespace sekoia {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeClock;
using testing::FakeTransport;

constexpr char kUrl[] = "https://api.test/logs";
constexpr char kToken[] = "platform-token-123";

// --- Redactor, LevelName, StreamLogger --------------------------------------------------------

TEST(LevelName, NamesTheFivePlatformLevels) {
  EXPECT_STREQ(LevelName(LogLevel::kDebug), "debug");
  EXPECT_STREQ(LevelName(LogLevel::kInfo), "info");
  EXPECT_STREQ(LevelName(LogLevel::kWarning), "warning");
  EXPECT_STREQ(LevelName(LogLevel::kError), "error");
  EXPECT_STREQ(LevelName(LogLevel::kCritical), "critical");
}

TEST(Redactor, MasksEveryOccurrence) {
  Redactor redactor;
  redactor.Add("s3cret");
  EXPECT_EQ(redactor.Apply("a s3cret, another s3crets3cret."), "a ***, another ******.");
}

TEST(Redactor, IgnoresSecretsShorterThanFourCharacters) {
  Redactor redactor;
  redactor.Add("");
  redactor.Add("abc");
  redactor.Add("abcd");
  EXPECT_EQ(redactor.Apply("abc abcd abcde"), "abc *** ***e");
}

TEST(Redactor, MasksTheLongestSecretFirst) {
  Redactor redactor;
  redactor.Add("pass");
  redactor.Add("password-long");
  EXPECT_EQ(redactor.Apply("password-long pass"), "*** ***");
}

TEST(StreamLogger, WritesOneRedactedLinePerMessage) {
  Redactor redactor;
  redactor.Add("hunter2!");
  std::ostringstream out;
  StreamLogger logger(out, redactor);
  logger.Warning("the password is hunter2!");
  logger.Debug("second");
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING the password is \*\*\*\n)"
                        R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z DEBUG second\n)");
  EXPECT_TRUE(std::regex_match(out.str(), line)) << out.str();
}

// --- PlatformLogger ---------------------------------------------------------------------------

/** Answers the logger's requests with scripted statuses (then 200) and lets a test wait for them.
 */
class ScriptedLogService {
 public:
  explicit ScriptedLogService(FakeTransport& transport, std::deque<int> statuses = {})
      : state_(std::make_shared<State>()) {
    state_->statuses = std::move(statuses);
    transport.SetHandler([state = state_](const http::HttpRequest&) {
      std::lock_guard<std::mutex> lock(state->mutex);
      int status = 200;
      if (!state->statuses.empty()) {
        status = state->statuses.front();
        state->statuses.pop_front();
      }
      ++state->calls;
      state->cv.notify_all();
      return http::HttpResponse{status, "", {}};  // status -1: FakeTransport throws TransportError
    });
  }
  /** True once `count` requests arrived; gives up after 10 s so a bug fails instead of hanging. */
  bool WaitForCalls(std::size_t count) {
    std::unique_lock<std::mutex> lock(state_->mutex);
    return state_->cv.wait_for(lock, seconds(10), [&] { return state_->calls >= count; });
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<int> statuses;
    std::size_t calls = 0;
  };
  std::shared_ptr<State> state_;
};

PlatformLoggerOptions QuietOptions() {
  PlatformLoggerOptions options;
  options.url_logs = kUrl;
  options.token = kToken;
  options.flush_interval = std::chrono::hours(1);  // only explicit triggers flush
  return options;
}

nlohmann::json Logs(const http::HttpRequest& request) {
  return nlohmann::json::parse(request.body).at("logs");
}

std::vector<std::string> Messages(const http::HttpRequest& request) {
  std::vector<std::string> messages;
  for (const auto& entry : Logs(request)) messages.push_back(entry.at("message"));
  return messages;
}

TEST(PlatformLogger, WritesEveryLevelToStderrAtOnce) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLogger logger(QuietOptions(), transport, clock, redactor, err);
  logger.Debug("one");
  clock.Advance(milliseconds(1500));
  logger.Critical("two");
  EXPECT_EQ(err.str(),
            "2026-01-21T12:53:20.000Z DEBUG one\n"
            "2026-01-21T12:53:21.500Z CRITICAL two\n");
}

TEST(PlatformLogger, PostsJsonWithTheBearerToken) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLogger logger(QuietOptions(), transport, clock, redactor, err);
  logger.Info("hello \"world\"\n");
  clock.Advance(milliseconds(42));
  logger.Warning("careful");
  logger.Flush();

  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, kUrl);
  EXPECT_EQ(requests[0].headers, (http::Headers{{"Authorization", std::string("Bearer ") + kToken},
                                                {"Content-Type", "application/json"}}));
  EXPECT_EQ(
      requests[0].body,
      R"({"logs":[{"date":"2026-01-21T12:53:20","level":"info","message":"hello \"world\"\n"},)"
      R"({"date":"2026-01-21T12:53:20.042000","level":"warning","message":"careful"}]})");
}

TEST(PlatformLogger, SendsNothingWhenUrlOrTokenIsMissing) {
  for (bool missing_url : {true, false}) {
    FakeTransport transport;  // any request is an unscripted failure
    FakeClock clock;
    Redactor redactor;
    std::ostringstream err;
    PlatformLoggerOptions options = QuietOptions();
    (missing_url ? options.url_logs : options.token).clear();
    PlatformLogger logger(options, transport, clock, redactor, err);
    logger.Critical("stderr only");
    logger.Flush();
    logger.Shutdown();
    EXPECT_TRUE(transport.requests().empty());
    EXPECT_EQ(err.str(), "2026-01-21T12:53:20.000Z CRITICAL stderr only\n");
  }
}

TEST(PlatformLogger, KeepsEntriesBelowMinLevelOnStderrOnly) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLogger logger(QuietOptions(), transport, clock, redactor, err);
  logger.Debug("local detail");
  logger.Info("shared");
  logger.Flush();
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(Messages(transport.requests()[0]), std::vector<std::string>{"shared"});
  EXPECT_NE(err.str().find("DEBUG local detail"), std::string::npos);
}

TEST(PlatformLogger, SendsABatchWhenFiftyEntriesAreQueued) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLogger logger(QuietOptions(), transport, clock, redactor, err);
  for (int i = 0; i < 49; ++i) logger.Info("entry " + std::to_string(i));
  EXPECT_TRUE(transport.requests().empty());
  logger.Info("entry 49");
  ASSERT_TRUE(service.WaitForCalls(1));

  // Had 49 entries been enough, a shorter batch would have gone first.
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto messages = Messages(requests[0]);
  ASSERT_EQ(messages.size(), 50u);
  EXPECT_EQ(messages.front(), "entry 0");
  EXPECT_EQ(messages.back(), "entry 49");
}

TEST(PlatformLogger, SendsErrorsAndCriticalsAtOnce) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLogger logger(QuietOptions(), transport, clock, redactor, err);
  logger.Info("context");
  logger.Error("it broke");
  ASSERT_TRUE(service.WaitForCalls(1));
  EXPECT_EQ(Messages(transport.requests()[0]), (std::vector<std::string>{"context", "it broke"}));

  logger.Critical("it broke badly");
  ASSERT_TRUE(service.WaitForCalls(2));
  const auto logs = Logs(transport.requests()[1]);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0]["level"], "critical");
}

TEST(PlatformLogger, SendsTheSameMessageOnceAMinute) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLogger logger(QuietOptions(), transport, clock, redactor, err);
  logger.Info("polling");
  clock.Advance(seconds(30));
  logger.Info("polling");     // within the minute: stderr only
  logger.Warning("polling");  // another level is another entry
  clock.Advance(milliseconds(29999));
  logger.Info("polling");  // 59.999 s after the first
  clock.Advance(milliseconds(1));
  logger.Info("polling");  // a minute after the first: sent again
  logger.Flush();

  ASSERT_EQ(transport.requests().size(), 1u);
  const auto logs = Logs(transport.requests()[0]);
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0]["date"], "2026-01-21T12:53:20");
  EXPECT_EQ(logs[1]["level"], "warning");
  EXPECT_EQ(logs[2]["date"], "2026-01-21T12:54:20");
  const std::string lines = err.str();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 5);  // stderr has all five
}

TEST(PlatformLogger, DatesAreNaiveUtcWithMicroseconds) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock(TimePoint(std::chrono::seconds(1796216663)));  // 2026-12-02T13:04:23Z
  Redactor redactor;
  std::ostringstream err;
  PlatformLogger logger(QuietOptions(), transport, clock, redactor, err);
  clock.Advance(std::chrono::microseconds(123456));
  logger.Info("one");
  clock.Advance(std::chrono::microseconds(876544));
  logger.Info("two");
  logger.Flush();
  ASSERT_EQ(transport.requests().size(), 1u);
  const auto logs = Logs(transport.requests()[0]);
  EXPECT_EQ(logs[0]["date"], "2026-12-02T13:04:23.123456");
  EXPECT_EQ(logs[1]["date"], "2026-12-02T13:04:24");  // Python's isoformat() at 0 microseconds
}

TEST(PlatformLogger, NeverHoldsBackACriticalAndSendsLaterOnesAsErrors) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLogger logger(QuietOptions(), transport, clock, redactor, err);
  logger.Critical("Configuration error");
  ASSERT_TRUE(service.WaitForCalls(1));
  clock.Advance(seconds(1));
  logger.Critical("Configuration error");  // the second: an error, not rate-limited as critical
  ASSERT_TRUE(service.WaitForCalls(2));
  clock.Advance(seconds(1));
  logger.Critical("Configuration error");  // an error again within the minute: held back
  logger.Error("Configuration error");     // the same (level, message): held back
  clock.Advance(seconds(60));
  logger.Critical("Configuration error");  // a minute later: an error, sent
  ASSERT_TRUE(service.WaitForCalls(3));
  logger.Flush();

  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(Logs(requests[0])[0]["level"], "critical");
  ASSERT_EQ(Logs(requests[1]).size(), 1u);
  EXPECT_EQ(Logs(requests[1])[0]["level"], "error");
  ASSERT_EQ(Logs(requests[2]).size(), 1u);
  EXPECT_EQ(Logs(requests[2])[0]["level"], "error");
  EXPECT_EQ(Logs(requests[2])[0]["date"], "2026-01-21T12:54:22");
  // stderr has every line, at the level it was sent as.
  EXPECT_NE(err.str().find("CRITICAL Configuration error\n"), std::string::npos);
  const std::string lines = err.str();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 5);
}

TEST(PlatformLogger, ACriticalIsNeverRateLimited) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLoggerOptions options = QuietOptions();
  PlatformLogger logger(options, transport, clock, redactor, err);
  logger.Info("first");
  logger.Critical("disk full");
  ASSERT_TRUE(service.WaitForCalls(1));
  EXPECT_EQ(Messages(transport.requests()[0]), (std::vector<std::string>{"first", "disk full"}));
}

TEST(PlatformLogger, SendsABufferedEntryWithinTheFlushInterval) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLoggerOptions options = QuietOptions();
  options.flush_interval = milliseconds(20);
  PlatformLogger logger(options, transport, clock, redactor, err);
  // The sender sleeps while nothing is buffered; an info entry (not urgent, far below flush_at)
  // wakes it, and it is sent one interval later with no explicit flush.
  logger.Info("started");
  ASSERT_TRUE(service.WaitForCalls(1));
  EXPECT_EQ(Messages(transport.requests()[0]), std::vector<std::string>{"started"});
  logger.Info("later");
  ASSERT_TRUE(service.WaitForCalls(2));
  EXPECT_EQ(Messages(transport.requests()[1]), std::vector<std::string>{"later"});
}

TEST(PlatformLogger, KeepsAFailedBatchAndRetriesIt) {
  FakeTransport transport;
  ScriptedLogService service(transport, {503, -1});  // an HTTP error, then no answer at all
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLogger logger(QuietOptions(), transport, clock, redactor, err);
  logger.Info("first");
  logger.Flush();
  logger.Info("second");
  logger.Flush();
  logger.Flush();
  logger.Flush();  // nothing left: no request

  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(Messages(requests[0]), std::vector<std::string>{"first"});
  EXPECT_EQ(Messages(requests[1]), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(requests[2].body, requests[1].body);
  EXPECT_NE(err.str().find("WARNING cannot send logs to the platform (HTTP 503)"),
            std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("connection refused (scripted)"), std::string::npos) << err.str();
}

TEST(PlatformLogger, RetriesAFailedSendAtTheNextInterval) {
  FakeTransport transport;
  ScriptedLogService service(transport, {500});
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLoggerOptions options = QuietOptions();
  options.flush_interval = milliseconds(20);
  PlatformLogger logger(options, transport, clock, redactor, err);
  logger.Error("must arrive");
  ASSERT_TRUE(service.WaitForCalls(2));
  const auto requests = transport.requests();
  EXPECT_EQ(Messages(requests[0]), std::vector<std::string>{"must arrive"});
  EXPECT_EQ(requests[1].body, requests[0].body);
}

TEST(PlatformLogger, RedactsSecretsOnStderrAndInTheBody) {
  FakeTransport transport;
  ScriptedLogService service(transport, {500});
  FakeClock clock;
  Redactor redactor;
  redactor.Add("client-secret-value");
  std::ostringstream err;
  PlatformLoggerOptions options = QuietOptions();
  options.url_logs = std::string(kUrl) + "?sig=signature-part&x=1";
  PlatformLogger logger(options, transport, clock, redactor, err);
  logger.Info("secret=client-secret-value token=" + std::string(kToken) +
              " url=" + options.url_logs);
  logger.Flush();  // fails: the failure line must not leak either
  logger.Flush();

  const std::string expected = "secret=*** token=*** url=https://api.test/logs?***";
  EXPECT_NE(err.str().find("INFO " + expected + "\n"), std::string::npos) << err.str();
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(Messages(requests[1]), std::vector<std::string>{expected});
  for (const std::string& text : {err.str(), requests[0].body}) {
    EXPECT_EQ(text.find("client-secret-value"), std::string::npos);
    EXPECT_EQ(text.find(kToken), std::string::npos);
    EXPECT_EQ(text.find("signature-part"), std::string::npos);
  }
}

TEST(PlatformLogger, DropsTheOldestPastMaxQueueAndReportsHowMany) {
  FakeTransport transport;
  ScriptedLogService service(transport, {503});
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLoggerOptions options = QuietOptions();
  options.max_queue = 3;
  PlatformLogger logger(options, transport, clock, redactor, err);
  for (int i = 1; i <= 5; ++i) logger.Info("entry " + std::to_string(i));
  logger.Flush();  // fails
  logger.Flush();
  logger.Info("later");
  logger.Flush();

  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 3u);
  const std::vector<std::string> first_batch{
      "entry 3", "entry 4", "entry 5", "2 log entries dropped: the log service was unreachable"};
  EXPECT_EQ(Messages(requests[0]), first_batch);
  EXPECT_EQ(requests[1].body, requests[0].body);
  EXPECT_EQ(Logs(requests[1])[3]["level"], "warning");
  EXPECT_EQ(Messages(requests[2]), std::vector<std::string>{"later"});  // reported once
}

TEST(PlatformLogger, ShutdownFlushesWhatIsQueuedAndIsIdempotent) {
  FakeTransport transport;
  ScriptedLogService service(transport);
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  auto logger = std::make_unique<PlatformLogger>(QuietOptions(), transport, clock, redactor, err);
  for (int i = 0; i < 120; ++i) logger->Info("entry " + std::to_string(i));
  logger->Shutdown();
  std::size_t sent = 0;
  for (const auto& request : transport.requests()) sent += Logs(request).size();
  EXPECT_EQ(sent, 120u);
  const std::size_t requests = transport.requests().size();
  logger->Shutdown();
  logger.reset();
  EXPECT_EQ(transport.requests().size(), requests);
}

TEST(PlatformLogger, ShutdownGivesUpAfterThreeFailedAttempts) {
  FakeTransport transport;
  ScriptedLogService service(transport, {503, 503, 503, 503, 503});
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLoggerOptions options = QuietOptions();
  options.flush_interval = std::chrono::hours(1);
  PlatformLogger logger(options, transport, clock, redactor, err);
  logger.Info("lost");
  logger.Shutdown();
  EXPECT_EQ(transport.requests().size(), 3u);
  // A pause between two attempts, none after the last, on the injected clock.
  EXPECT_EQ(clock.waits(), (std::vector<milliseconds>{seconds(1), seconds(1)}));
}

TEST(PlatformLogger, ShutdownAttemptsAndPauseAreOptions) {
  FakeTransport transport;
  ScriptedLogService service(transport, {503, 503, 503, 503, 503});
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLoggerOptions options = QuietOptions();
  options.shutdown_attempts = 2;
  options.shutdown_pause = milliseconds(250);
  PlatformLogger logger(options, transport, clock, redactor, err);
  logger.Info("lost");
  logger.Shutdown();
  EXPECT_EQ(transport.requests().size(), 2u);
  EXPECT_EQ(clock.waits(), std::vector<milliseconds>{milliseconds(250)});
}

TEST(PlatformLogger, ShutdownPausesAtMostAFlushInterval) {
  FakeTransport transport;
  ScriptedLogService service(transport, {503, 503, 503, 503, 503});
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLoggerOptions options = QuietOptions();
  options.flush_interval = milliseconds(100);
  PlatformLogger logger(options, transport, clock, redactor, err);
  logger.Info("lost");
  logger.Shutdown();
  const auto requests = transport.requests().size();
  EXPECT_GE(requests, 3u);  // the sender may have tried once before Shutdown
  const std::vector<milliseconds> pauses(2, milliseconds(100));
  EXPECT_EQ(clock.waits(), pauses);
}

/** A log service that never answers: Send returns only when its stop signal is raised. */
class HangingTransport final : public http::HttpTransport {
 public:
  http::HttpResponse Send(const http::HttpRequest&, const StopSignal& stop) override {
    if (stop.WaitFor(std::chrono::minutes(1))) throw StopRequested();
    ADD_FAILURE() << "the send was not cancelled";
    return {500, "", {}};
  }
};

TEST(PlatformLogger, ShutdownCancelsAHangingSendWithinItsBudget) {
  HangingTransport transport;
  FakeClock clock;
  Redactor redactor;
  std::ostringstream err;
  PlatformLoggerOptions options = QuietOptions();
  options.shutdown_budget = milliseconds(200);  // real time: it bounds a real blocked send
  PlatformLogger logger(options, transport, clock, redactor, err);
  logger.Error("stuck");  // the thread is now blocked in Send
  const auto start = std::chrono::steady_clock::now();
  logger.Shutdown();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, milliseconds(200));
  EXPECT_LT(took, seconds(3));  // well below the default budget of 5 s: the option is honoured
}

}  // namespace
}  // namespace sekoia
