// The executable as the Sekoia.io platform runs it (issue 12): configuration as the SDK reads it,
// no crash loop on a configuration error, the Python Graph connector's command and context.json,
// /health and /metrics as the SDK serves them. Over loopback, against the simulator.
#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"
#include "sekoia/time_format.hpp"

namespace integration {
namespace {

std::string Base64(const std::string& text) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8) |
                       static_cast<unsigned char>(text[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < text.size()) {
    unsigned n = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) n |= static_cast<unsigned char>(text[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < text.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++count;
  return count;
}

TEST(Platform, ConfigurationErrorWaitsWithoutCollectingAndStartsOnceValid) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "50", "--days", "0.05"}));
  Trigger trigger(dir, simulator, "office365_messagetrace_trigger_graph",
                  GraphConfiguration(simulator, {{"frequency", 0}}));
  trigger.Start();
  ASSERT_TRUE(WaitUntil([&] { return simulator.Logs().size() >= 1; }, 20s))
      << trigger.process().Stderr();
  // One critical to the platform, with our reason on the same line; stderr says it too.
  const auto logs = simulator.Logs();
  ASSERT_EQ(logs.size(), 1u) << logs.dump();
  EXPECT_EQ(logs[0]["level"], "critical");
  EXPECT_EQ(logs[0]["message"].get<std::string>().rfind(
                "Configuration error: frequency: 0 is out of range", 0),
            0u);
  EXPECT_NE(trigger.process().Stderr().find("CRITICAL Configuration error: frequency"),
            std::string::npos);
  // Still running, alive for the liveness probe, and nothing collected.
  Client client;
  EXPECT_FALSE(trigger.process().Wait(2s)) << "exited: the platform would restart it in a loop";
  EXPECT_EQ(client.Get(trigger.Health()).status, 200);
  EXPECT_EQ(simulator.Stats()["received_total"], 0);
  EXPECT_FALSE(std::filesystem::exists(trigger.data_dir() / "context.json"));

  // The configuration is read again 120 s later: once valid, the trigger starts.
  WriteFile(dir / "config" / "trigger_configuration", GraphConfiguration(simulator).dump());
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find("the configuration is valid now") !=
               std::string::npos;
      },
      170s))
      << trigger.process().Stderr();
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  EXPECT_GT(simulator.Stats()["received_total"].get<int>(), 0);
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_EQ(Count(simulator.Logs().dump(), "\"critical\""), 1u) << simulator.Logs().dump();
  ExpectNoSecrets(trigger.AllOutput(), "the trigger's output");
}

TEST(Platform, ConfigurationErrorEndsWithExitZeroOnSigterm) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  Trigger trigger(dir, simulator, "office365_messagetrace_trigger_oauth",
                  nlohmann::json{{"intake_key", kIntakeKey}});
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find("Configuration error: tenant_id: missing") !=
               std::string::npos;
      },
      20s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0) << trigger.process().Stderr();
  EXPECT_EQ(simulator.Stats()["received_total"], 0);
}

TEST(Platform, ReadsBase64ConfigurationFromTheEnvironmentAndUsesTheSubFolder) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "40", "--days", "0.05"}));
  Trigger trigger(dir, simulator, "office365_messagetrace_trigger_graph", nlohmann::json::object());
  std::filesystem::remove(dir / "config" / "trigger_configuration");
  trigger.env()["TRIGGER_CONFIGURATION"] = Base64(GraphConfiguration(simulator).dump());
  trigger.env()["CONNECTOR_CONFIGURATION"] = "";  // empty: missing, as the SDK reads it
  trigger.env()["SUB_FOLDER"] = "tenant-a";
  trigger.Start();
  const auto context = trigger.data_dir() / "tenant-a" / "context.json";
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(context); }, 30s))
      << trigger.process().Stderr();
  EXPECT_FALSE(std::filesystem::exists(trigger.data_dir() / "context.json"));
  ASSERT_TRUE(WaitUntil([&] { return simulator.Stats()["received_total"].get<int>() > 0; }, 60s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_TRUE(nlohmann::json::parse(ReadFile(context)).contains("most_recent_date_requested"));
}

TEST(Platform, IntakeUrlOfTheModuleIsUsedWhenTheTriggerHasNoIntakeServer) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "40", "--days", "0.05"}));
  Trigger trigger(dir, simulator, "office365_messagetrace_trigger_graph",
                  GraphConfiguration(simulator, {{"intake_server", nullptr}}));
  trigger.env()["INTAKE_URL"] = simulator.url() + "/";  // plain http, as in a cluster
  trigger.Start();
  ASSERT_TRUE(WaitUntil([&] { return simulator.Stats()["received_total"].get<int>() > 0; }, 60s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
}

TEST(Platform, GraphApiCommandResumesThePythonConnectorsContextAndKeepsItsKeys) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "60", "--days", "0.05"}));
  Trigger trigger(dir, simulator, "office365_messagetrace_trigger_graph_api",
                  GraphConfiguration(simulator));
  // What the Python connector leaves: an aware isoformat() date and its events_cache.
  const auto resume = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() -
                                                               std::chrono::minutes(40));
  std::string python_date = sekoia::FormatIso8601(resume + std::chrono::microseconds(123456));
  python_date.replace(python_date.size() - 1, 1, "+00:00");
  const nlohmann::json python_context = {
      {"most_recent_date_requested", python_date},
      {"events_cache", {"4451a062-48cb-e80d-e8c0-196330437ae6", "another-id"}},
      {"something_else", {{"kept", true}}}};
  WriteFile(trigger.data_dir() / "context.json", python_context.dump());
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);

  const std::string err = trigger.process().Stderr();
  EXPECT_NE(err.find("resuming the Python Graph connector's context.json: 2 record ids"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("the checkpoint is unusable"), std::string::npos) << err;
  const auto checkpoint = trigger.Checkpoint();
  EXPECT_EQ(checkpoint["events_cache"], python_context["events_cache"]) << checkpoint.dump();
  EXPECT_EQ(checkpoint["something_else"], python_context["something_else"]) << checkpoint.dump();
  const auto until = sekoia::ParseIso8601(checkpoint.value("most_recent_date_requested", ""));
  ASSERT_TRUE(until);
  EXPECT_GT(*until, resume);
  // The first query began where the Python connector stopped, not start_time (1 h) back.
  const auto stats = simulator.Stats(trigger.Until());
  EXPECT_GT(stats["received_total"].get<int>(), 0);
  EXPECT_GT(stats["missing"].get<int>(), 0)
      << "the hour before the Python checkpoint is not re-read: " << stats.dump();
}

TEST(Platform, HealthAndMetricsAsTheSdkServesThem) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "40", "--days", "0.05"}));
  Trigger trigger(dir, simulator, "office365_messagetrace_trigger_graph",
                  GraphConfiguration(simulator));
  trigger.Start();
  Client client;
  ASSERT_TRUE(WaitUntil([&] { return client.Get(trigger.Health()).status == 200; }, 20s))
      << trigger.process().Stderr();
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  const auto health = client.GetJson(trigger.Health());
  const std::regex naive(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?)");
  EXPECT_TRUE(std::regex_match(health.value("last_events_time", ""), naive)) << health.dump();
  EXPECT_TRUE(std::regex_match(health.value("last_heartbeat", ""), naive)) << health.dump();
  EXPECT_EQ(health["seconds_without_events_threshold"], 21600) << health.dump();
  EXPECT_EQ(health["last_heartbeat_threshold"], 0) << health.dump();
  EXPECT_EQ(health["error_count"], 0) << health.dump();
  const std::string metrics = client.Get(trigger.Metrics()).body;
  const std::string label = std::string("{intake_key=\"") + kIntakeKey + "\"} ";
  for (const char* created : {"symphony_module_common_forwarded_events_created",
                              "symphony_module_common_forward_events_duration_created",
                              "symphony_module_common_discarded_events_created"}) {
    EXPECT_NE(metrics.find(std::string("# TYPE ") + created + " gauge\n" + created + label + "1.7"),
              std::string::npos)
        << created << "\n"
        << metrics;
  }
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
}

}  // namespace
}  // namespace integration
