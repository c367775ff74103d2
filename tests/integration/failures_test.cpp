// Permanent and passing failures as the platform sees them (issue 14, point 1): a failure that
// needs a person is a critical within seconds, with its fix, and /health says so; failures that
// pass by themselves are retried without any critical. The real executable against the simulator.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace integration {
namespace {

// The platform logs of a level whose message holds `part`.
std::vector<std::string> LogsWith(const nlohmann::json& logs, const std::string& level,
                                  const std::string& part) {
  std::vector<std::string> found;
  for (const auto& entry : logs) {
    const std::string message = entry.value("message", "");
    if (entry.value("level", "") == level && message.find(part) != std::string::npos)
      found.push_back(message);
  }
  return found;
}

TEST(Failures, AWrongClientSecretIsACriticalWithinSecondsAndHealthSaysSo) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "50", "--days", "0.05"}));
  Trigger trigger(
      dir, simulator, "office365_messagetrace_trigger_graph",
      GraphConfiguration(simulator, {{"client_secret", "the-secret-id-not-its-value"}}));
  const auto started = std::chrono::steady_clock::now();
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] { return !LogsWith(simulator.Logs(), "critical", "AADSTS7000215").empty(); }, 20s))
      << simulator.Logs().dump() << trigger.process().Stderr();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
  const auto critical = LogsWith(simulator.Logs(), "critical", "AADSTS7000215")[0];
  EXPECT_NE(critical.find("tried again every 2m 0s"), std::string::npos) << critical;
  // One token request: a refused credential is not retried at once (no nested retries).
  EXPECT_EQ(simulator.Stats()["token_requests"].get<int>(), 1) << simulator.Stats().dump();
  Client client;
  auto health = client.GetJson(trigger.Health());
  EXPECT_EQ(health.value("permanent_failure", false), true) << health.dump();
  EXPECT_GE(health.value("error_count", 0), 1) << health.dump();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(15s), 0);
  ExpectNoSecrets(trigger.AllOutput() + simulator.Logs().dump(), "the trigger's output and logs");
}

TEST(Failures, AMissingPermissionIsACriticalWithItsFix) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "50", "--days", "0.05", "--no-permission"}));
  Trigger trigger(dir, simulator, "office365_messagetrace_trigger_graph",
                  GraphConfiguration(simulator));
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return !LogsWith(simulator.Logs(), "critical", "ExchangeMessageTrace.Read.All").empty();
      },
      20s))
      << simulator.Logs().dump() << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(15s), 0);
}

TEST(Failures, PassingFailuresAreRetriedWithoutACriticalAndNothingIsLost) {
  auto dir = ScratchDir();
  // A fifth of the message-trace requests fail (500, 503, or a connection cut mid-body).
  Simulator simulator(dir, SimulatorArgs({"--records", "3000", "--days", "0.04", "--fault-500",
                                          "0.07", "--fault-503", "0.07", "--fault-close", "0.06"}));
  Trigger trigger(dir, simulator, "office365_messagetrace_trigger_graph",
                  GraphConfiguration(simulator, {{"page_size", 200}}));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(120s)) << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  // Warnings reach the platform with the next periodic flush (every 5 s).
  EXPECT_TRUE(
      WaitUntil([&] { return !LogsWith(simulator.Logs(), "warning", "failed").empty(); }, 15s))
      << "no fault was injected: " << stats.dump() << trigger.process().Stderr();
  const auto logs = simulator.Logs();
  EXPECT_TRUE(LogsWith(logs, "critical", "").empty()) << logs.dump();
  EXPECT_TRUE(LogsWith(logs, "error", "").empty()) << logs.dump();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(15s), 0);
}

}  // namespace
}  // namespace integration
