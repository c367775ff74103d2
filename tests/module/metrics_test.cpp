#include "sekoia/metrics.hpp"

#include "fake_clock.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace sekoia {
namespace {

// Expected texts are what prometheus_client 0.16 (generate_latest, with
// PROMETHEUS_DISABLE_CREATED_SERIES=1) prints for the SDK's four common metrics.

std::string Buckets(const std::string& label, const std::vector<int>& cumulative) {
  static const std::vector<std::string> kBounds = {"0.005", "0.01", "0.025", "0.05", "0.075",
                                                   "0.1",   "0.25", "0.5",   "0.75", "1.0",
                                                   "2.5",   "5.0",  "7.5",   "10.0", "+Inf"};
  std::string out;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    out += "symphony_module_common_forward_events_duration_bucket{" + label + ",le=\"" +
           kBounds[i] + "\"} " + std::to_string(cumulative[i]) + ".0\n";
  }
  return out;
}

const std::string kDurationHelp =
    "Duration, in seconds, of each batch of events sent to the intake";
const std::string kLagHelp =
    "The delay, in seconds, between now and the reading position (updated on every page the intake "
    "acknowledged)";

struct OwnValues {
  std::string repaired = "0.0", checkpoint, last_success, ok = "0.0", throttled = "0.0",
              failed = "0.0", waits = "0.0", wait_seconds = "0.0";
};

// The trigger's own metrics, after the SDK's four; a gauge not set has no sample.
std::string OwnMetrics(const std::string& label, const std::string& created, const OwnValues& v) {
  const std::string p = "symphony_module_common_";
  auto family = [&](const std::string& name, const std::string& help, const std::string& type) {
    return "# HELP " + p + name + " " + help + "\n# TYPE " + p + name + " " + type + "\n";
  };
  auto sample = [&](const std::string& name, const std::string& labels, const std::string& value) {
    return p + name + "{" + labels + "} " + value + "\n";
  };
  const std::string repaired =
      "Number of events whose invalid UTF-8 was replaced by U+FFFD before forwarding";
  const std::string requests =
      "Requests to Microsoft's message trace service (each attempt), by outcome: ok, throttled "
      "(429), failed "
      "(another status, or no answer)";
  const std::string waits =
      "Waits before a request to Microsoft to stay within the requests_per_5_minutes budget";
  const std::string seconds = "Seconds spent waiting for the requests_per_5_minutes budget";
  std::string out = family("repaired_events_total", repaired, "counter") +
                    sample("repaired_events_total", label, v.repaired) +
                    family("repaired_events_created", repaired, "gauge") +
                    sample("repaired_events_created", label, created);
  out += family(
      "checkpoint_timestamp_seconds",
      "The checkpoint's date (most_recent_date_requested), unix seconds: collected up to there",
      "gauge");
  if (!v.checkpoint.empty()) out += sample("checkpoint_timestamp_seconds", label, v.checkpoint);
  out += family("last_successful_cycle_timestamp_seconds",
                "When a collection cycle last ended without error, unix seconds", "gauge");
  if (!v.last_success.empty())
    out += sample("last_successful_cycle_timestamp_seconds", label, v.last_success);
  out += family("source_requests_total", requests, "counter");
  out += sample("source_requests_total", label + ",outcome=\"ok\"", v.ok);
  out += sample("source_requests_total", label + ",outcome=\"throttled\"", v.throttled);
  out += sample("source_requests_total", label + ",outcome=\"failed\"", v.failed);
  out += family("source_requests_created", requests, "gauge");
  for (const char* outcome : {"ok", "throttled", "failed"})
    out += sample("source_requests_created", label + ",outcome=\"" + outcome + "\"", created);
  out += family("budget_waits_total", waits, "counter") +
         sample("budget_waits_total", label, v.waits) +
         family("budget_waits_created", waits, "gauge") +
         sample("budget_waits_created", label, created);
  out += family("budget_wait_seconds_total", seconds, "counter") +
         sample("budget_wait_seconds_total", label, v.wait_seconds) +
         family("budget_wait_seconds_created", seconds, "gauge") +
         sample("budget_wait_seconds_created", label, created);
  return out;
}

TEST(Metrics, RendersEverySeriesAtZeroFromStart) {
  testing::FakeClock clock(TimePoint(std::chrono::milliseconds(1769000000250)));
  Metrics metrics("k", clock);
  const std::string label = "intake_key=\"k\"";
  const std::string expected =
      "# HELP symphony_module_common_forwarded_events_total Number of events forwarded to "
      "Sekoia.io\n"
      "# TYPE symphony_module_common_forwarded_events_total counter\n"
      "symphony_module_common_forwarded_events_total{intake_key=\"k\"} 0.0\n"
      "# HELP symphony_module_common_forwarded_events_created Number of events forwarded to "
      "Sekoia.io\n"
      "# TYPE symphony_module_common_forwarded_events_created gauge\n"
      "symphony_module_common_forwarded_events_created{intake_key=\"k\"} 1.76900000025e+09\n"
      "# HELP symphony_module_common_forward_events_duration " +
      kDurationHelp +
      "\n"
      "# TYPE symphony_module_common_forward_events_duration histogram\n" +
      Buckets(label, std::vector<int>(15, 0)) +
      "symphony_module_common_forward_events_duration_count{intake_key=\"k\"} 0.0\n"
      "symphony_module_common_forward_events_duration_sum{intake_key=\"k\"} 0.0\n"
      "# HELP symphony_module_common_forward_events_duration_created " +
      kDurationHelp +
      "\n"
      "# TYPE symphony_module_common_forward_events_duration_created gauge\n"
      "symphony_module_common_forward_events_duration_created{intake_key=\"k\"} 1.76900000025e+09\n"
      "# HELP symphony_module_common_discarded_events_total Number of events discarded from the "
      "collect\n"
      "# TYPE symphony_module_common_discarded_events_total counter\n"
      "symphony_module_common_discarded_events_total{intake_key=\"k\"} 0.0\n"
      "# HELP symphony_module_common_discarded_events_created Number of events discarded from the "
      "collect\n"
      "# TYPE symphony_module_common_discarded_events_created gauge\n"
      "symphony_module_common_discarded_events_created{intake_key=\"k\"} 1.76900000025e+09\n"
      "# HELP symphony_module_common_events_lags " +
      kLagHelp +
      "\n"
      "# TYPE symphony_module_common_events_lags gauge\n" +
      OwnMetrics(label, "1.76900000025e+09", {});
  EXPECT_EQ(metrics.RenderPrometheus(), expected);
}

TEST(Metrics, RendersObservationsCumulativelyWithEscapedLabel) {
  testing::FakeClock clock;
  Metrics metrics("a\"b\\c\nd", clock);
  metrics.AddForwarded(10);
  metrics.AddForwarded(2);
  metrics.AddDiscarded(3);
  for (double seconds : {0.003, 0.2, 0.25, 1.5, 12.0, 1e6}) metrics.ObserveForwardDuration(seconds);
  metrics.SetEventsLag(1234.5);

  const std::string label = "intake_key=\"a\\\"b\\\\c\\nd\"";
  const std::string expected =
      "# HELP symphony_module_common_forwarded_events_total Number of events forwarded to "
      "Sekoia.io\n"
      "# TYPE symphony_module_common_forwarded_events_total counter\n"
      "symphony_module_common_forwarded_events_total{" +
      label +
      "} 12.0\n"
      "# HELP symphony_module_common_forwarded_events_created Number of events forwarded to "
      "Sekoia.io\n"
      "# TYPE symphony_module_common_forwarded_events_created gauge\n"
      "symphony_module_common_forwarded_events_created{" +
      label +
      "} 1.769e+09\n"
      "# HELP symphony_module_common_forward_events_duration " +
      kDurationHelp +
      "\n"
      "# TYPE symphony_module_common_forward_events_duration histogram\n" +
      Buckets(label, {1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 4, 4, 4, 4, 6}) +
      "symphony_module_common_forward_events_duration_count{" + label +
      "} 6.0\n"
      "symphony_module_common_forward_events_duration_sum{" +
      label +
      "} 1.000013953e+06\n"
      "# HELP symphony_module_common_forward_events_duration_created " +
      kDurationHelp +
      "\n"
      "# TYPE symphony_module_common_forward_events_duration_created gauge\n"
      "symphony_module_common_forward_events_duration_created{" +
      label +
      "} 1.769e+09\n"
      "# HELP symphony_module_common_discarded_events_total Number of events discarded from the "
      "collect\n"
      "# TYPE symphony_module_common_discarded_events_total counter\n"
      "symphony_module_common_discarded_events_total{" +
      label +
      "} 3.0\n"
      "# HELP symphony_module_common_discarded_events_created Number of events discarded from the "
      "collect\n"
      "# TYPE symphony_module_common_discarded_events_created gauge\n"
      "symphony_module_common_discarded_events_created{" +
      label +
      "} 1.769e+09\n"
      "# HELP symphony_module_common_events_lags " +
      kLagHelp +
      "\n"
      "# TYPE symphony_module_common_events_lags gauge\n"
      "symphony_module_common_events_lags{" +
      label + "} 1234.5\n" + OwnMetrics(label, "1.769e+09", {});
  EXPECT_EQ(metrics.RenderPrometheus(), expected);
  EXPECT_EQ(metrics.forwarded(), 12u);
  EXPECT_EQ(metrics.discarded(), 3u);
}

TEST(Metrics, FormatsNumbersAsPrometheusClientDoes) {
  // Pairs of (value, prometheus_client.utils.floatToGoString(value)).
  const std::vector<std::pair<double, std::string>> cases = {
      {0.1, "0.1"},
      {1e-05, "1e-05"},
      {0.0001, "0.0001"},
      {123456.789, "123456.789"},
      {999999.5, "999999.5"},
      {1234567.0, "1.234567e+06"},
      {12345678.9, "1.23456789e+07"},
      {1e10, "1e+010"},
      {1e15, "1e+015"},
      {1e16, "1e+16"},
      {1e22, "1e+22"},
      {-2.5, "-2.5"},
      {-1234567.0, "-1234567.0"},
      {1.5e-7, "1.5e-07"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {9007199254740992.0, "9.007199254740992e+015"},
      {0.30000000000000004, "0.30000000000000004"},
      {1769000000.25, "1.76900000025e+09"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const auto& [value, text] : cases) {
    Metrics metrics("k");
    metrics.SetEventsLag(value);
    const std::string rendered = metrics.RenderPrometheus();
    const std::string line = "symphony_module_common_events_lags{intake_key=\"k\"} " + text + "\n";
    EXPECT_NE(rendered.find(line), std::string::npos) << "value " << text;
  }
}

TEST(Metrics, RendersTheTriggersOwnMetricsOnceSet) {
  testing::FakeClock clock(TimePoint(std::chrono::seconds(1769000000)));
  Metrics metrics("k", clock);
  metrics.AddRepaired(2);
  metrics.SetCheckpointTime(TimePoint(std::chrono::seconds(1768999700)));
  metrics.SetLastSuccessfulCycle(TimePoint(std::chrono::milliseconds(1769000012500)));
  for (auto outcome :
       {RequestOutcome::kOk, RequestOutcome::kOk, RequestOutcome::kOk, RequestOutcome::kThrottled,
        RequestOutcome::kFailed, RequestOutcome::kFailed})
    metrics.AddSourceRequest(outcome);
  metrics.AddBudgetWait(1.5);
  metrics.AddBudgetWait(30.25);
  const std::string rendered = metrics.RenderPrometheus();
  OwnValues values;
  values.repaired = "2.0";
  values.checkpoint = "1.7689997e+09";
  values.last_success = "1.7690000125e+09";
  values.ok = "3.0";
  values.throttled = "1.0";
  values.failed = "2.0";
  values.waits = "2.0";
  values.wait_seconds = "31.75";
  const std::string own = OwnMetrics("intake_key=\"k\"", "1.769e+09", values);
  ASSERT_GE(rendered.size(), own.size());
  EXPECT_EQ(rendered.substr(rendered.size() - own.size()), own);
  EXPECT_EQ(metrics.repaired(), 2u);
}

TEST(Metrics, TheLagHasNoSampleUntilKnownAndThenFollowsEveryUpdate) {
  Metrics metrics("k");
  EXPECT_EQ(metrics.RenderPrometheus().find("symphony_module_common_events_lags{"),
            std::string::npos);
  EXPECT_NE(metrics.RenderPrometheus().find("# TYPE symphony_module_common_events_lags gauge\n"),
            std::string::npos);
  for (double lag : {432000.0, 300000.0, 60.0, -5.0}) {
    metrics.SetEventsLag(lag);
    std::string line = "symphony_module_common_events_lags{intake_key=\"k\"} " +
                       std::to_string(static_cast<long>(lag)) + ".0\n";
    EXPECT_NE(metrics.RenderPrometheus().find(line), std::string::npos) << line;
  }
}

TEST(Metrics, CountsValuesAboveTheLastBucketInInfOnly) {
  Metrics metrics("k");
  metrics.ObserveForwardDuration(10.0);
  metrics.ObserveForwardDuration(10.5);
  const std::string rendered = metrics.RenderPrometheus();
  EXPECT_NE(rendered.find("_bucket{intake_key=\"k\",le=\"7.5\"} 0.0\n"), std::string::npos);
  EXPECT_NE(rendered.find("_bucket{intake_key=\"k\",le=\"10.0\"} 1.0\n"), std::string::npos);
  EXPECT_NE(rendered.find("_bucket{intake_key=\"k\",le=\"+Inf\"} 2.0\n"), std::string::npos);
  EXPECT_NE(rendered.find("_sum{intake_key=\"k\"} 20.5\n"), std::string::npos);
}

}  // namespace
}  // namespace sekoia
