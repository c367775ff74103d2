// The real executable against the simulator, over HTTP on loopback.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "sekoia/time_format.hpp"

namespace integration {
namespace {

constexpr const char* kCommand = "office365_messagetrace_trigger_graph";

TEST(GraphTrigger, BackfillOfThreeDaysArrivesCompleteWithoutDuplicates) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "12000", "--days", "2.95", "--seed", "7"}));
  Trigger trigger(dir, simulator, kCommand,
                  GraphConfiguration(simulator, {{"start_time", 72}, {"page_size", 500}}));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(120s)) << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_GT(stats["expected"].get<int>(), 10000);
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  EXPECT_EQ(stats["unknown"], 0) << stats.dump();
  EXPECT_EQ(stats["bad_user_agent"], 0) << stats.dump();
  EXPECT_GT(stats["graph_requests"].get<int>(), 20);  // many pages
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  // The progress lines reached the platform's logs API.
  bool progress = false;
  for (const auto& entry : simulator.Logs())
    progress |= entry.value("message", "").find("catching up") != std::string::npos;
  EXPECT_TRUE(progress) << simulator.Logs().dump();
  ExpectNoSecrets(trigger.AllOutput(), "the trigger's output or checkpoint");
  ExpectNoSecrets(simulator.Logs().dump(), "the platform logs");
}

// An argument the trigger does not know (a typo) is one warning at start, naming the argument it
// is likely a typo of, on stderr and in the platform's logs; the trigger runs with the default.
TEST(GraphTrigger, AnUnknownArgumentIsOneWarningAtStartWithTheClosestName) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "200", "--days", "0.9", "--seed", "9"}));
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator, {{"frequncy", 30}}));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  const std::string warning =
      "configuration: unknown argument 'frequncy' is ignored; did you mean 'frequency'?";
  const std::string err = trigger.process().Stderr();
  const std::size_t first = err.find(warning);
  ASSERT_NE(first, std::string::npos) << err;
  EXPECT_EQ(err.find(warning, first + 1), std::string::npos) << "logged more than once: " << err;
  EXPECT_NE(err.find("WARNING " + warning), std::string::npos) << err;
  int in_platform_logs = 0;
  for (const auto& entry : simulator.Logs()) {
    in_platform_logs +=
        entry.value("message", "") == warning && entry.value("level", "") == "warning";
  }
  EXPECT_EQ(in_platform_logs, 1) << simulator.Logs().dump();
}

TEST(GraphTrigger, KilledMidBackfillResumesFromTheCheckpointWithoutLoss) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "12000", "--days", "2.95", "--seed", "8"}));
  Trigger trigger(dir, simulator, kCommand,
                  GraphConfiguration(simulator, {{"start_time", 72}, {"page_size", 200}}));
  trigger.Start();
  ASSERT_TRUE(
      WaitUntil([&] { return simulator.Stats()["received_total"].get<int>() >= 4000; }, 60s));
  trigger.process().Signal(SIGKILL);
  trigger.process().Wait(5s);
  auto checkpoint = trigger.Checkpoint();
  ASSERT_TRUE(checkpoint.contains("window")) << checkpoint.dump();  // killed inside the window
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(120s)) << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_LE(stats["duplicates"].get<int>(), 200)
      << "more than one page sent twice: " << stats.dump();
  EXPECT_NE(trigger.process().Stderr().find("resuming from the checkpoint"), std::string::npos);
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
}

TEST(GraphTrigger, SigtermExitsZeroWithTheCheckpointSavedAndServesHealthAndMetrics) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "500", "--days", "0.9"}));
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator, {{"start_time", 24}}));
  trigger.Start();
  Client client;
  ASSERT_TRUE(WaitUntil([&] { return client.Get(trigger.Health()).status == 200; }, 20s))
      << trigger.process().Stderr();
  auto health = nlohmann::json::parse(client.Get(trigger.Health()).body);
  for (const char* field :
       {"last_events_time", "last_heartbeat", "seconds_without_events_threshold",
        "last_heartbeat_threshold", "error_count"})
    EXPECT_TRUE(health.contains(field)) << field;
  auto missing = client.Get(trigger.NotFound());
  EXPECT_EQ(missing.status, 404);
  ASSERT_TRUE(trigger.WaitCaughtUp(60s));
  std::string metrics = client.Get(trigger.Metrics()).body;
  std::string label = std::string("{intake_key=\"") + kIntakeKey + "\"}";
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_NE(metrics.find("symphony_module_common_forwarded_events_total" + label + " " +
                         std::to_string(stats["received_total"].get<int>()) + ".0"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("symphony_module_common_discarded_events_total" + label + " 0.0"),
            std::string::npos);
  EXPECT_NE(metrics.find("symphony_module_common_forward_events_duration_count"),
            std::string::npos);
  EXPECT_NE(metrics.find("symphony_module_common_events_lags" + label), std::string::npos);

  auto started = std::chrono::steady_clock::now();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_TRUE(trigger.Checkpoint().contains("most_recent_date_requested"));
  EXPECT_EQ(stats["missing"], 0);
}

TEST(GraphTrigger, ConfigurationErrorIsOneCriticalLogAndNoExit) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator, {{"frequency", 0}}));
  trigger.Start();
  // As the SDK: no exit into a restart loop; the configuration is read again, SIGTERM ends it.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find(
                   "Configuration error: frequency: 0 is out of range") != std::string::npos;
      },
      10s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  ASSERT_TRUE(WaitUntil([&] { return simulator.Logs().size() >= 1; }, 5s))
      << simulator.Logs().dump();
  auto entry = simulator.Logs()[0];
  EXPECT_EQ(entry["level"], "critical");
  EXPECT_EQ(entry["message"].get<std::string>().rfind("Configuration error: frequency", 0), 0u);
  ExpectNoSecrets(trigger.AllOutput(), "the configuration error output");
}

TEST(GraphTrigger, ConfigurationErrorWithoutPlatformGoesToStderrOnly) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  Trigger trigger(dir, simulator, kCommand,
                  GraphConfiguration(simulator, {{"client_secret", nullptr},
                                                 {"graph_url", "http://graph.example.com"}}));
  trigger.env().erase("TOKEN");
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find("Configuration error: client_secret: missing") !=
               std::string::npos;
      },
      10s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_EQ(simulator.Logs().size(), 0u);
}

TEST(GraphTrigger, InvalidSecretIsExplainedAndNeverPrinted) {
  auto dir = ScratchDir();
  Simulator simulator(
      dir, {"--records", "10", "--platform-token", kPlatformToken});  // expects sim-secret
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator));
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] { return trigger.process().Stderr().find("AADSTS7000215") != std::string::npos; }, 20s))
      << trigger.process().Stderr();
  EXPECT_NE(trigger.process().Stderr().find("check client_secret"), std::string::npos);
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  ExpectNoSecrets(trigger.AllOutput(), "the trigger's output");
  ExpectNoSecrets(simulator.Logs().dump(), "the platform logs");
}

TEST(GraphTrigger, UnprovisionedAppAndMissingPermissionAreExplained) {
  auto dir = ScratchDir();
  fs::create_directories(dir / "unprovisioned");
  fs::create_directories(dir / "no-permission");
  {
    Simulator simulator(dir / "unprovisioned",
                        SimulatorArgs({"--records", "10", "--unprovisioned"}));
    Trigger trigger(dir / "unprovisioned", simulator, kCommand, GraphConfiguration(simulator));
    trigger.Start();
    EXPECT_TRUE(WaitUntil(
        [&] {
          return trigger.process().Stderr().find("New-MgServicePrincipal") != std::string::npos;
        },
        20s))
        << trigger.process().Stderr();
    trigger.process().Signal(SIGTERM);
    EXPECT_EQ(trigger.process().Wait(10s), 0);
  }
  {
    Simulator simulator(dir / "no-permission",
                        SimulatorArgs({"--records", "10", "--no-permission"}));
    Trigger trigger(dir / "no-permission", simulator, kCommand, GraphConfiguration(simulator));
    trigger.Start();
    EXPECT_TRUE(WaitUntil(
        [&] {
          return trigger.process().Stderr().find("ExchangeMessageTrace.Read.All") !=
                 std::string::npos;
        },
        20s))
        << trigger.process().Stderr();
    trigger.process().Signal(SIGTERM);
    EXPECT_EQ(trigger.process().Wait(10s), 0);
  }
}

TEST(GraphTrigger, CommandLineErrorsExitTwoWithOneLine) {
  auto dir = ScratchDir();
  Process unknown({TRIGGER_BINARY, "no_such_trigger"}, {}, dir / "u.out", dir / "u.err");
  EXPECT_EQ(unknown.Wait(10s), 2);
  const std::string unknown_err = unknown.Stderr();
  EXPECT_NE(unknown_err.find("unknown command 'no_such_trigger'"), std::string::npos);
  EXPECT_EQ(std::count(unknown_err.begin(), unknown_err.end(), '\n'), 1) << unknown_err;
  Process flag({TRIGGER_BINARY, kCommand, "--bogus"}, {}, dir / "f.out", dir / "f.err");
  EXPECT_EQ(flag.Wait(10s), 2);
  EXPECT_NE(flag.Stderr().find("bogus"), std::string::npos);
  Process help({TRIGGER_BINARY, "--help"}, {}, dir / "h.out", dir / "h.err");
  EXPECT_EQ(help.Wait(10s), 0);
  EXPECT_NE(help.Stdout().find(kCommand), std::string::npos);
  Process version({TRIGGER_BINARY, "--version"}, {}, dir / "v.out", dir / "v.err");
  EXPECT_EQ(version.Wait(10s), 0);
  EXPECT_EQ(version.Stdout().rfind("office365-messagetrace ", 0), 0u);
}

}  // namespace
}  // namespace integration
