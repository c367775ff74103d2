// The real executable against a simulator that behaves as Microsoft documents its APIs
// (shared/spec/message-trace-apis.md), and against services whose paging misbehaves (issue 13,
// issue 16 point 4).
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"

namespace integration {
namespace {

constexpr const char* kGraph = "office365_messagetrace_trigger_graph";
constexpr const char* kBasic = "office365_messagetrace_trigger";

// A day back, so that the budget and throttling cases have pages to read.
nlohmann::json DayBackConfiguration(const Simulator& simulator,
                                    const nlohmann::json& overrides = {}) {
  return GraphConfiguration(simulator, Override({{"start_time", 24}}, overrides));
}

nlohmann::json BasicConfiguration(const Simulator& simulator,
                                  const nlohmann::json& overrides = {}) {
  return Override(
      {{"frequency", 60},
       {"timedelta", 5},
       {"start_time", 24},
       {"account_name", kAccount},
       {"account_password", kPassword},
       {"intake_server", simulator.url()},
       {"intake_key", kIntakeKey},
       {"reporting_url", simulator.url() + "/ecp/reportingwebservice/reporting.svc/MessageTrace"}},
      overrides);
}

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++count;
  return count;
}

void ExpectCleanStop(Trigger& trigger) {
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
}

// Point 4 and 7: every Graph request asks for the evolvable enum's members (the simulator then
// serves `recalled` as itself, byte for byte, so nothing is "unknown") and has its own id.
TEST(MicrosoftApis, GraphRequestsSendPreferAndAClientRequestIdAndRecalledArrivesAsItself) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "3000", "--days", "0.9", "--seed", "21"}));
  Trigger trigger(dir, simulator, kGraph, DayBackConfiguration(simulator, {{"page_size", 500}}));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_GT(stats["graph_requests"].get<int>(), 5);
  EXPECT_EQ(stats["graph_requests_without_prefer"], 0) << stats.dump();
  EXPECT_EQ(stats["graph_requests_without_client_request_id"], 0) << stats.dump();
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  EXPECT_EQ(stats["unknown"], 0) << stats.dump();
  ExpectCleanStop(trigger);
}

// Points 2, 3 and 9: the simulator's throttle answers with a fractional Retry-After; the trigger
// waits it (rounded up), slows down, and no attempt or cycle fails for it.
TEST(MicrosoftApis, ThrottledByOthersOfTheTenantTheTriggerWaitsSlowsDownAndLogsOnce) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "1600", "--days", "0.9", "--seed", "22",
                                          "--throttle", "3", "--throttle-window", "4"}));
  Trigger trigger(
      dir, simulator, kGraph,
      DayBackConfiguration(simulator, {{"page_size", 200}, {"requests_per_5_minutes", 100}}));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(90s)) << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_GE(stats["throttled"].get<int>(), 1) << stats.dump();
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  const std::string err = trigger.process().Stderr();
  EXPECT_EQ(Count(err, "Microsoft throttled a message-trace request (HTTP 429"), 1u) << err;
  EXPECT_EQ(err.find("collection failed"), std::string::npos) << err;
  EXPECT_EQ(err.find("attempt 1 of"), std::string::npos) << err;
  ExpectCleanStop(trigger);
}

// Point 3: the share is an argument, in range.
TEST(MicrosoftApis, TheTriggersShareOfTheBudgetIsAnArgument) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "2000", "--days", "0.9", "--seed", "23"}));
  Trigger trigger(
      dir, simulator, kGraph,
      DayBackConfiguration(simulator, {{"page_size", 200}, {"requests_per_5_minutes", 2}}));
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find(
                   "the budget of 2 message-trace requests per 300 s "
                   "(requests_per_5_minutes") != std::string::npos;
      },
      30s))
      << trigger.process().Stderr();
  EXPECT_EQ(simulator.Stats()["graph_requests"], 2);
  ExpectCleanStop(trigger);

  Trigger refused(dir / "refused", simulator, kGraph,
                  DayBackConfiguration(simulator, {{"requests_per_5_minutes", 101}}));
  refused.Start();
  ExpectConfigurationErrorThenCleanStop(refused, "requests_per_5_minutes");
  EXPECT_EQ(simulator.Stats()["graph_requests"], 2);
}

// Point 5: a next link naming another origin is never requested; the bearer token stays home.
TEST(MicrosoftApis, ANextLinkOffTheServiceIsNeverFollowed) {
  auto dir = ScratchDir();
  // Another loopback server, which must see no connection.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 16), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  ::fcntl(listener, F_SETFL, O_NONBLOCK);
  const std::string elsewhere = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  Simulator simulator(dir, SimulatorArgs({"--records", "2000", "--days", "0.9", "--seed", "24",
                                          "--next-link-base", elsewhere}));
  // Without a lookback no key helps: a window read again would forward its pages again.
  Trigger trigger(dir, simulator, kGraph,
                  DayBackConfiguration(simulator, {{"page_size", 500}, {"lookback", 0}}));
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] { return trigger.process().Stderr().find("is not followed") != std::string::npos; }, 30s))
      << trigger.process().Stderr();
  EXPECT_NE(trigger.process().Stderr().find("not to graph_url's scheme, host and port"),
            std::string::npos);
  // Issue 13.5: the link is refused as its page is read, never saved: the window ends there with
  // an error, and the next cycles go on to the next windows instead of reading it again.
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  EXPECT_EQ(trigger.Checkpoint().dump().find(elsewhere), std::string::npos)
      << trigger.Checkpoint().dump();
  const std::string err = trigger.process().Stderr();
  EXPECT_NE(err.find("ERROR the service's next link points to"), std::string::npos) << err;
  EXPECT_NE(err.find("record(s) forwarded; records it did not give are missing"), std::string::npos)
      << err;
  EXPECT_EQ(err.find("the checkpoint's next link is not followed"), std::string::npos) << err;
  EXPECT_EQ(err.find("collection failed"), std::string::npos) << err;
  std::this_thread::sleep_for(500ms);
  EXPECT_LT(::accept(listener, nullptr, nullptr), 0) << "the trigger connected to " << elsewhere;
  ::close(listener);
  auto stats = simulator.Stats();
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  ExpectCleanStop(trigger);
}

// Issue 16 point 4: a service whose next link points back to an earlier page. Each window ends
// with an error instead of looping, nothing is forwarded twice (no lookback: no keys to help),
// and collection goes on.
TEST(MicrosoftApis, ALoopingNextLinkEndsTheWindowWithAnErrorAndNoDuplicate) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "3000", "--days", "0.9", "--seed", "25",
                                          "--fault-loop", "1"}));
  Trigger trigger(dir, simulator, kGraph,
                  DayBackConfiguration(simulator, {{"page_size", 200}, {"lookback", 0}}));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  const std::string err = trigger.process().Stderr();
  EXPECT_NE(err.find("paging does not end: its next link was already followed in this window"),
            std::string::npos)
      << err;
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  EXPECT_GE(stats["faults"]["loop"].get<int>(), 1) << stats.dump();
  // Three pages per window: the loop is seen before its link is followed.
  EXPECT_LE(stats["graph_requests"].get<int>(),
            3 * (1 + static_cast<int>(Count(err, "paging does not end"))));
  ExpectCleanStop(trigger);
}

// Point 7: what Microsoft support asks for is on the error lines.
TEST(MicrosoftApis, ErrorLinesCarryMicrosoftsRequestAndTraceIds) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "100", "--days", "0.9", "--no-permission"}));
  Trigger trigger(dir, simulator, kGraph, DayBackConfiguration(simulator));
  trigger.Start();
  const std::regex graph_ids(
      "HTTP 403: .*\\(request-id [0-9a-f-]{36}, client-request-id ([0-9a-f-]{36})\\)");
  ASSERT_TRUE(
      WaitUntil([&] { return std::regex_search(trigger.process().Stderr(), graph_ids); }, 30s))
      << trigger.process().Stderr();
  ExpectCleanStop(trigger);

  Trigger wrong(dir / "wrong", simulator, kGraph,
                DayBackConfiguration(simulator, {{"client_secret", "SENTINEL-wrong-secret-1111"}}));
  wrong.Start();
  const std::regex token_ids(
      "AADSTS7000215: .* -> .*\\(Trace ID: [0-9a-f-]{36}, Correlation ID: [0-9a-f-]{36}, "
      "Timestamp: [0-9-]+ [0-9:.]+Z\\)");
  ASSERT_TRUE(
      WaitUntil([&] { return std::regex_search(wrong.process().Stderr(), token_ids); }, 30s))
      << wrong.process().Stderr();
  ExpectCleanStop(wrong);
  EXPECT_EQ(wrong.AllOutput().find("SENTINEL-wrong-secret-1111"), std::string::npos);
}

// Point 8: message trace is documented for the global cloud only.
TEST(MicrosoftApis, NationalCloudsAreRefusedAtStart) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  int run = 0;
  for (const nlohmann::json& overrides :
       {nlohmann::json{{"graph_url", "https://graph.microsoft.us"}},
        nlohmann::json{{"login_url", "https://login.chinacloudapi.cn"}}}) {
    Trigger trigger(dir / std::to_string(++run), simulator, kGraph,
                    DayBackConfiguration(simulator, overrides));
    trigger.Start();
    const std::string err = ExpectConfigurationErrorThenCleanStop(trigger, overrides.begin().key());
    EXPECT_NE(err.find("global cloud only"), std::string::npos) << err;
  }
  EXPECT_EQ(simulator.Stats()["token_requests"], 0);
}

// Point 6: rows whose Received lies before the window (StartDate/EndDate select processing
// steps) are forwarded, each once, with pages asked explicitly by $top.
TEST(MicrosoftApis, LegacyRowsOutsideTheWindowArriveOnce) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--mode", "reporting", "--records", "3000", "--days",
                                          "0.9", "--seed", "26", "--reporting-processing", "120"}));
  // Without a lookback, a window is the only query to return the rows received in the 120 s
  // before it: dropping them for their Received would lose them at every window boundary.
  Trigger trigger(dir, simulator, kBasic, BasicConfiguration(simulator, {{"lookback", 0}}));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(90s)) << trigger.process().Stderr();
  // Rows received in the last 120 s before the checkpoint come with the next window.
  const auto until = sekoia::ParseIso8601(trigger.Until());
  ASSERT_TRUE(until);
  auto stats = simulator.Stats(sekoia::FormatIso8601(*until - std::chrono::seconds(120)));
  EXPECT_GT(stats["expected"].get<int>(), 2000) << stats.dump();
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  EXPECT_EQ(stats["unknown"], 0) << stats.dump();
  ExpectCleanStop(trigger);
}

// Point 6: a page that leaves a row out shows as a gap in the rows' Index.
TEST(MicrosoftApis, LegacyIndexGapIsWarned) {
  auto dir = ScratchDir();
  Simulator simulator(
      dir, SimulatorArgs({"--mode", "reporting", "--records", "600", "--days", "0.9", "--seed",
                          "27", "--reporting-page", "200", "--fault-index-gap", "1"}));
  Trigger trigger(dir, simulator, kBasic, BasicConfiguration(simulator));
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find(
                   "rows are not contiguous: 1 gap(s) in their Index") != std::string::npos;
      },
      30s))
      << trigger.process().Stderr();
  ExpectCleanStop(trigger);
}

}  // namespace
}  // namespace integration
