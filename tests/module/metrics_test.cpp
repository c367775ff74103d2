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
      "# HELP symphony_module_common_forward_events_duration Duration to collect and forward "
      "events from eventhub\n"
      "# TYPE symphony_module_common_forward_events_duration histogram\n" +
      Buckets(label, std::vector<int>(15, 0)) +
      "symphony_module_common_forward_events_duration_count{intake_key=\"k\"} 0.0\n"
      "symphony_module_common_forward_events_duration_sum{intake_key=\"k\"} 0.0\n"
      "# HELP symphony_module_common_forward_events_duration_created Duration to collect and "
      "forward events from eventhub\n"
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
      "# HELP symphony_module_common_events_lags The delay, in seconds, from the date of the last "
      "event\n"
      "# TYPE symphony_module_common_events_lags gauge\n"
      "symphony_module_common_events_lags{intake_key=\"k\"} 0.0\n";
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
      "symphony_module_common_forwarded_events_created{" + label + "} 1.769e+09\n"
      "# HELP symphony_module_common_forward_events_duration Duration to collect and forward "
      "events from eventhub\n"
      "# TYPE symphony_module_common_forward_events_duration histogram\n" +
      Buckets(label, {1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 4, 4, 4, 4, 6}) +
      "symphony_module_common_forward_events_duration_count{" + label +
      "} 6.0\n"
      "symphony_module_common_forward_events_duration_sum{" +
      label +
      "} 1.000013953e+06\n"
      "# HELP symphony_module_common_forward_events_duration_created Duration to collect and "
      "forward events from eventhub\n"
      "# TYPE symphony_module_common_forward_events_duration_created gauge\n"
      "symphony_module_common_forward_events_duration_created{" + label + "} 1.769e+09\n"
      "# HELP symphony_module_common_discarded_events_total Number of events discarded from the "
      "collect\n"
      "# TYPE symphony_module_common_discarded_events_total counter\n"
      "symphony_module_common_discarded_events_total{" +
      label +
      "} 3.0\n"
      "# HELP symphony_module_common_discarded_events_created Number of events discarded from the "
      "collect\n"
      "# TYPE symphony_module_common_discarded_events_created gauge\n"
      "symphony_module_common_discarded_events_created{" + label + "} 1.769e+09\n"
      "# HELP symphony_module_common_events_lags The delay, in seconds, from the date of the last "
      "event\n"
      "# TYPE symphony_module_common_events_lags gauge\n"
      "symphony_module_common_events_lags{" +
      label + "} 1234.5\n";
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
