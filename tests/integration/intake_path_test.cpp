// The intake path and the operator's metrics: the real executable against the simulator, over
// HTTP on loopback.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "harness.hpp"

namespace integration {
namespace {

constexpr const char* kCommand = "office365_messagetrace_trigger_graph";

// The value of the sample `name{intake_key="..."<extra>}` in an exposition, if present.
std::optional<double> Sample(const std::string& exposition, const std::string& name,
                             const std::string& extra = "") {
  const std::string prefix = name + "{intake_key=\"" + kIntakeKey + "\"" + extra + "} ";
  const std::size_t at = exposition.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  return std::strtod(exposition.c_str() + at + prefix.size(), nullptr);
}

TEST(IntakePath, PoisonRecordsAreRepairedOrDiscardedAndEverythingElseArrives) {
  auto dir = ScratchDir();
  // One record with invalid UTF-8 (the intake answers 400 to a batch holding it unrepaired) and
  // one the intake refuses (400 to any batch holding it), among 3000.
  Simulator simulator(dir, SimulatorArgs({"--records", "3000", "--days", "0.9", "--seed", "11",
                                          "--invalid-utf8-records", "1", "--intake-rejects", "1"}));
  Trigger trigger(
      dir, simulator, kCommand,
      GraphConfiguration(simulator, {{"start_time", 24}, {"page_size", 500}, {"chunk_size", 100}}));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(90s))
      << "the checkpoint did not advance past the poison records: " << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_GT(stats["expected"].get<int>(), 2900) << stats.dump();
  EXPECT_EQ(stats["missing"], 1) << "only the refused record is lost: " << stats.dump();
  EXPECT_EQ(stats["unknown"], 0) << "the repaired record arrives as the simulator expects it: "
                                 << stats.dump();
  EXPECT_EQ(stats["duplicates"], 0) << "the window was not read again: " << stats.dump();

  Client client;
  const std::string metrics = client.Get(trigger.Metrics()).body;
  EXPECT_EQ(Sample(metrics, "symphony_module_common_discarded_events_total"), 1.0) << metrics;
  EXPECT_EQ(Sample(metrics, "symphony_module_common_repaired_events_total"), 1.0) << metrics;
  EXPECT_EQ(Sample(metrics, "symphony_module_common_forwarded_events_total"),
            stats["received_total"].get<double>());

  const std::string output = trigger.process().Stderr();
  EXPECT_NE(output.find("it is discarded, the others of its page are sent: id "), std::string::npos)
      << output;
  EXPECT_NE(output.find("held invalid UTF-8"), std::string::npos) << output;
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  ExpectNoSecrets(trigger.AllOutput(), "the trigger's output or checkpoint");
}

TEST(IntakePath, MetricsShowTheLagShrinkingDuringABackfill) {
  auto dir = ScratchDir();
  // Three days in one window (Graph allows ten), in small pages the intake answers slowly:
  // the lag must be known and shrink page by page, not wait for the window's end.
  Simulator simulator(dir, SimulatorArgs({"--records", "6000", "--days", "2.95", "--seed", "12",
                                          "--intake-latency", "0.05"}));
  Trigger trigger(dir, simulator, kCommand,
                  GraphConfiguration(simulator, {{"start_time", 72}, {"page_size", 100}}));
  trigger.Start();
  Client client;
  std::vector<double> lags;
  std::string first_metrics;
  WaitUntil(
      [&] {
        const std::string metrics = client.Get(trigger.Metrics()).body;
        if (first_metrics.empty() && !metrics.empty()) first_metrics = metrics;
        if (auto lag = Sample(metrics, "symphony_module_common_events_lags")) {
          if (lags.empty() || *lag != lags.back()) lags.push_back(*lag);
        }
        auto checkpoint = trigger.Checkpoint();
        return checkpoint.is_object() && !checkpoint.contains("window") && lags.size() > 1;
      },
      90s);
  ASSERT_GE(lags.size(), 3u) << "the lag changed fewer than 3 times during the backfill";
  EXPECT_GT(lags.front(), 24 * 3600.0)
      << "the first page of a 3-day backfill is more than a day behind";
  for (std::size_t i = 1; i < lags.size(); ++i)
    EXPECT_LT(lags[i], lags[i - 1] + 60) << "the lag grew at " << i;
  EXPECT_LT(lags.back(), lags.front() / 4);
  ASSERT_TRUE(trigger.WaitCaughtUp(60s));

  const std::string metrics = client.Get(trigger.Metrics()).body;
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto checkpoint_time = Sample(metrics, "symphony_module_common_checkpoint_timestamp_seconds");
  ASSERT_TRUE(checkpoint_time) << metrics;
  EXPECT_NEAR(*checkpoint_time, now - 5 * 60, 120) << "the checkpoint is within timedelta of now";
  auto last_cycle =
      Sample(metrics, "symphony_module_common_last_successful_cycle_timestamp_seconds");
  ASSERT_TRUE(last_cycle) << metrics;
  EXPECT_NEAR(*last_cycle, now, 60);
  auto ok = Sample(metrics, "symphony_module_common_source_requests_total", ",outcome=\"ok\"");
  ASSERT_TRUE(ok) << metrics;
  EXPECT_GE(*ok, 60.0) << "one request per page of 100 among 6000 records";
  EXPECT_EQ(
      Sample(metrics, "symphony_module_common_source_requests_total", ",outcome=\"throttled\""),
      0.0);
  EXPECT_TRUE(Sample(metrics, "symphony_module_common_budget_waits_total")) << metrics;
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
}

}  // namespace
}  // namespace integration
