#include "latency_recall_report.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "iso_time.hpp"

namespace checkers {
namespace {

using nlohmann::json;

// A simulator's /stats?since&until&delay_at_most=60 of a run that received every state once.
json RunStats(std::uint64_t received_within, std::uint64_t duplicates) {
  json buckets = json::array();
  buckets.push_back(
      {{"from_minutes", 0.0}, {"to_minutes", 1.0}, {"published", 0}, {"received", 0}});
  buckets.push_back(
      {{"from_minutes", 1.0}, {"to_minutes", 5.0}, {"published", 1500}, {"received", 1500}});
  buckets.push_back({{"from_minutes", 120.0}, {"published", 0}, {"received", 0}});
  return {{"tenant_records", 2000},
          {"received_distinct", 2400},
          {"duplicates", duplicates},
          {"published", 1900},
          {"published_received", 1890},
          {"unpublished", 4},
          {"graph_records_served", 8000},
          {"graph_requests", 60},
          {"throttled", 0},
          {"freshness_minutes", {{"median", 3.14159}, {"p99", 30.0}}},
          {"by_delay", buckets},
          {"within_delay",
           {{"delay_at_most", 60},
            {"published", 1848},
            {"received", received_within},
            {"status_changes_published", 330},
            {"status_changes_received", 330}}}};
}

RecallSetup TwentyTimesFaster() {
  RecallSetup setup;
  setup.scale = 0.05;
  setup.scale_label = "1/20";
  setup.rate = 4000;
  setup.ages = "5,15,30,60";
  setup.last_age = "60";
  setup.lookback = "60";
  setup.until = *ParseIsoSeconds("2026-12-07T08:00:00Z");
  setup.measured_at = setup.until + 30;
  setup.trigger_seconds = 360;  // 2 hours of Microsoft's time
  return setup;
}

RecallRun Measured(json stats, long long checkpoint) {
  return {std::move(stats), checkpoint, 3, 0};
}

TEST(LatencyRecallReport, PassesWhenBReceivedEveryStateOnce) {
  const RecallSetup setup = TwentyTimesFaster();
  const RecallReport report = BuildRecallReport(setup, Measured(RunStats(1848, 0), setup.until),
                                                Measured(RunStats(1848, 0), setup.until + 3));
  EXPECT_TRUE(report.failures.empty()) << report.text;
  const std::string& text = report.text;
  EXPECT_NE(text.find("   recall, published at most 60 min late                100.0% (1848 / "
                      "1848)   100.0% (1848 / 1848)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "   rows read per record of the tenant                   4.00                   4.00\n"),
      std::string::npos);
  // 60 requests over 2 hours of Microsoft's time.
  EXPECT_NE(
      text.find(
          "   requests per hour (budget 960)                       30                     30\n"),
      std::string::npos);
  EXPECT_NE(
      text.find(
          "   budget waits (trigger's metrics) / 429s              3 / 0                  3 / 0\n"),
      std::string::npos);
  EXPECT_NE(text.find("   freshness, publication to intake: median             3.1 min             "
                      "   3.1 min\n"),
            std::string::npos);
  EXPECT_NE(text.find("   freshness: 99th percentile                           30 min              "
                      "   30 min\n"),
            std::string::npos);
  // 30 real seconds = 10 minutes of Microsoft's time, 5 of them timedelta.
  EXPECT_NE(
      text.find(
          "   first reads behind at the end (beyond timedelta)     5 min                  4 min\n"),
      std::string::npos);
  // k = 4 rows a record, q = 30: fixed = 30 - 4000 x 4 / 5000 = 26.8; (960 - 26.8) x 5000 / 4.
  EXPECT_NE(text.find("1166500/h"), std::string::npos) << text;
  EXPECT_NE(text.find("     1-5                                                1500 / 1500         "
                      "   1500 / 1500\n"),
            std::string::npos);
  EXPECT_NE(text.find("     120-                                               0 / 0"),
            std::string::npos);
  EXPECT_NE(
      text.find("\n== B: 0 duplicates, every record state published within 60 minutes received\n"),
      std::string::npos);
}

TEST(LatencyRecallReport, FailsWhenBForwardedADuplicate) {
  const RecallSetup setup = TwentyTimesFaster();
  const RecallReport report = BuildRecallReport(setup, Measured(RunStats(1848, 0), setup.until),
                                                Measured(RunStats(1848, 1), setup.until));
  EXPECT_EQ(report.failures, std::vector<std::string>{"B forwarded duplicates"});
  EXPECT_NE(report.text.find("== FAILED: B forwarded duplicates\n"), std::string::npos);
}

TEST(LatencyRecallReport, FailsWhenBMissedAStateWithinItsLastAge) {
  const RecallSetup setup = TwentyTimesFaster();
  const RecallReport report = BuildRecallReport(setup, Measured(RunStats(1848, 0), setup.until),
                                                Measured(RunStats(1847, 0), setup.until));
  EXPECT_EQ(report.failures, std::vector<std::string>{
                                 "B missed record states published within its last re-read age"});
}

TEST(LatencyRecallReport, FailsWhenBDidNotPassThePeriodOrATriggerDidNotStopCleanly) {
  const RecallSetup setup = TwentyTimesFaster();
  RecallRun a = Measured(RunStats(1848, 0), setup.until - 60);  // A behind: said, not a failure
  a.exit_code = 137;
  const RecallReport report = BuildRecallReport(setup, a, {RunStats(1848, 0), std::nullopt, 0, 0});
  EXPECT_EQ(report.failures,
            (std::vector<std::string>{"a trigger did not exit 0 on SIGTERM",
                                      "trigger B did not pass 2026-12-07T08:00:00Z"}));
  EXPECT_NE(report.text.find("   A did not keep up: its first reads ended 25 minutes behind\n"),
            std::string::npos)
      << report.text;
}

TEST(LatencyRecallReport, ReadsACounterOverItsSeries) {
  const std::string metrics =
      "# TYPE symphony_module_common_budget_waits_total counter\n"
      "symphony_module_common_budget_waits_total{module=\"x\"} 4\n"
      "symphony_module_common_budget_waits_total{module=\"y\"} 2\n"
      "symphony_module_common_budget_waits_total_seconds 9\n"
      "symphony_module_common_budget_wait_seconds_total 12.5\n";
  EXPECT_EQ(PrometheusCounter(metrics, "symphony_module_common_budget_waits_total"), 6u);
  EXPECT_EQ(PrometheusCounter(metrics, "absent_total"), 0u);
}

TEST(LatencyRecallReport, ProgressLineSumsWhatIsNotYetPublished) {
  EXPECT_EQ(ProgressLine(42, RunStats(1848, 0), RunStats(1848, 0)),
            "     42s  A received    1890  B received    1890  not yet published (A+B)       8");
}

}  // namespace
}  // namespace checkers
