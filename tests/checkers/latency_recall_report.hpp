#pragma once
// latency-recall's accounting (scripts/latency-recall.sh, docs/latency-recall.md): the table of
// the two runs A (full lookback) and B (re-read schedule) and B's verdict, from each simulator's
// /stats and each trigger's checkpoint and Prometheus metrics. No clock, no process.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace checkers {

/** One trigger's run as the script measured it. */
struct RecallRun {
  nlohmann::json stats;  ///< its simulator's /stats?since&until&delay_at_most
  std::optional<long long>
      checkpoint;  ///< most_recent_date_requested (epoch s) at the end; nullopt: none
  std::uint64_t budget_waits = 0;  ///< symphony_module_common_budget_waits_total before SIGTERM
  int exit_code = 0;               ///< on SIGTERM
};

/** The run's shape (the script's options, and what it measured about time). */
struct RecallSetup {
  double scale = 0.05;        ///< Microsoft's time compression
  std::string scale_label;    ///< "1/20"
  double rate = 4000;         ///< records per hour of Microsoft's time
  std::string ages;           ///< B's ages, "5,15,30,60"
  std::string last_age;       ///< "60"
  std::string lookback;       ///< A's lookback, minutes
  long long until = 0;        ///< the measured period's end (epoch s): the checkpoints must pass it
  long long measured_at = 0;  ///< when the checkpoints were read (epoch s)
  double trigger_seconds = 0;  ///< from the triggers' start to their exit
};

struct RecallReport {
  std::string text;                   ///< the table and the verdict line(s)
  std::vector<std::string> failures;  ///< empty: B passed
};

/** Sum of the counter `name` over its series in Prometheus text; 0 when absent. */
std::uint64_t PrometheusCounter(const std::string& text, const std::string& name);

/** Minutes of Microsoft's time the first reads are behind at `measured_at`, beyond timedelta (5
 * min). */
long long MinutesBehind(const RecallSetup& setup, std::optional<long long> checkpoint);

/** True when the checkpoint reached `until`. */
bool PassedUntil(const RecallSetup& setup, std::optional<long long> checkpoint);

/** The progress line printed while the run goes on. */
std::string ProgressLine(long long elapsed_seconds, const nlohmann::json& a,
                         const nlohmann::json& b);

RecallReport BuildRecallReport(const RecallSetup& setup, const RecallRun& a, const RecallRun& b);

}  // namespace checkers
