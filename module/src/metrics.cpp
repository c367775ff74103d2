#include "sekoia/metrics.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace sekoia {

namespace {

/**
 * Python's repr(float): the shortest digits that round-trip, in fixed notation with at least one
 * fractional digit (`12.0`), or `1e-05` / `1e+16` style outside [1e-4, 1e16).
 */
std::string PythonFloatRepr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));

  std::string sign;
  if (!text.empty() && text.front() == '-') {
    sign = "-";
    text.remove_prefix(1);
  }
  const std::size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits += c;
  }
  const int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  const int point = exponent + 1;  // digits before the decimal point

  std::string out;
  if (point <= -4 || point > 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    const int magnitude = std::abs(exponent);
    out += exponent < 0 ? "e-" : "e+";
    if (magnitude < 10) out += "0";
    out += std::to_string(magnitude);
  } else if (point <= 0) {
    out = "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (static_cast<std::size_t>(point) < digits.size()) {
    out = digits.substr(0, static_cast<std::size_t>(point)) + "." +
          digits.substr(static_cast<std::size_t>(point));
  } else {
    out = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0') + ".0";
  }
  return sign + out;
}

/**
 * prometheus_client's floatToGoString: repr(float), except `+Inf`/`-Inf`/`NaN`, and positive
 * values of 7 or more integral digits written with an exponent, as Go does (`1e+06`).
 */
std::string GoFloat(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::string repr = PythonFloatRepr(value);
  const std::size_t dot = repr.find('.');
  if (value > 0 && dot != std::string::npos && dot > 6) {
    std::string mantissa = repr.substr(0, 1) + "." + repr.substr(1, dot - 1) + repr.substr(dot + 1);
    while (!mantissa.empty() && (mantissa.back() == '0' || mantissa.back() == '.')) {
      mantissa.pop_back();
    }
    // Python writes "e+0" and then the number, so 1e10 becomes "1e+010"; kept for fidelity.
    return mantissa + "e+0" + std::to_string(dot - 1);
  }
  return repr;
}

// The SDK's names and help texts (sekoia-automation-sdk, MetricsMixin), in its order.
constexpr const char* kForwarded = "symphony_module_common_forwarded_events_total";
constexpr const char* kForwardedHelp = "Number of events forwarded to Sekoia.io";
constexpr const char* kDuration = "symphony_module_common_forward_events_duration";
// The SDK's text says "from eventhub" (copied from another connector); this says what is measured.
constexpr const char* kDurationHelp =
    "Duration, in seconds, of each batch of events sent to the intake";
constexpr const char* kDiscarded = "symphony_module_common_discarded_events_total";
constexpr const char* kDiscardedHelp = "Number of events discarded from the collect";
constexpr const char* kLag = "symphony_module_common_events_lags";
constexpr const char* kLagHelp =
    "The delay, in seconds, between now and the reading position (updated on every page the intake "
    "acknowledged)";

// This trigger's own metrics.
constexpr const char* kRepairedMetric = "symphony_module_common_repaired_events";
constexpr const char* kRepaired = "symphony_module_common_repaired_events_total";
constexpr const char* kRepairedHelp =
    "Number of events whose invalid UTF-8 was replaced by U+FFFD before forwarding";
constexpr const char* kCheckpoint = "symphony_module_common_checkpoint_timestamp_seconds";
constexpr const char* kCheckpointHelp =
    "The checkpoint's date (most_recent_date_requested), unix seconds: collected up to there";
constexpr const char* kLastSuccess =
    "symphony_module_common_last_successful_cycle_timestamp_seconds";
constexpr const char* kLastSuccessHelp =
    "When a collection cycle last ended without error, unix seconds";
constexpr const char* kRequestsMetric = "symphony_module_common_source_requests";
constexpr const char* kRequests = "symphony_module_common_source_requests_total";
constexpr const char* kRequestsHelp =
    "Requests to Microsoft's message trace service (each attempt), by outcome: ok, throttled "
    "(429), failed "
    "(another status, or no answer)";
constexpr const char* kBudgetWaitsMetric = "symphony_module_common_budget_waits";
constexpr const char* kBudgetWaits = "symphony_module_common_budget_waits_total";
constexpr const char* kBudgetWaitsHelp =
    "Waits before a request to Microsoft to stay within the requests_per_5_minutes budget";
constexpr const char* kBudgetSecondsMetric = "symphony_module_common_budget_wait_seconds";
constexpr const char* kBudgetSeconds = "symphony_module_common_budget_wait_seconds_total";
constexpr const char* kBudgetSecondsHelp =
    "Seconds spent waiting for the requests_per_5_minutes budget";

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

void Header(std::string& out, const char* name, const char* help, const char* type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void Sample(std::string& out, const std::string& name, const std::string& labels, double value) {
  out += name;
  out += '{';
  out += labels;
  out += "} ";
  out += GoFloat(value);
  out += '\n';
}

// generate_latest moves a family's `_created` samples into a gauge family of their own, named
// after the metric (without `_total`), right after it.
void Created(std::string& out, const std::string& metric, const char* help,
             const std::string& labels, double created) {
  const std::string name = metric + "_created";
  Header(out, name.c_str(), help, "gauge");
  Sample(out, name, labels, created);
}

constexpr const char* kForwardedMetric = "symphony_module_common_forwarded_events";
constexpr const char* kDiscardedMetric = "symphony_module_common_discarded_events";

}  // namespace

Metrics::Metrics(const std::string& intake_key) : Metrics(intake_key, SystemClock()) {}

Metrics::Metrics(const std::string& intake_key, const Clock& clock)
    : label_("intake_key=\"" + EscapeLabelValue(intake_key) + "\""), created_([&clock] {
        // Whole seconds and the fraction apart, so 1769000000.25 stays exactly that.
        const auto since_epoch = clock.Now().time_since_epoch();
        const auto whole = std::chrono::floor<std::chrono::seconds>(since_epoch);
        return static_cast<double>(whole.count()) +
               std::chrono::duration<double>(since_epoch - whole).count();
      }()) {}

void Metrics::AddForwarded(std::uint64_t count) { forwarded_ += count; }

void Metrics::AddDiscarded(std::uint64_t count) { discarded_ += count; }

void Metrics::ObserveForwardDuration(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  // As prometheus_client: the first bucket whose bound is >= the value; past the last, +Inf only.
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++bucket_counts_[i];
      break;
    }
  }
  ++duration_count_;
  duration_sum_ += seconds;
}

void Metrics::SetEventsLag(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  lag_ = seconds;
}

void Metrics::AddRepaired(std::uint64_t count) { repaired_ += count; }

namespace {
double UnixSeconds(TimePoint time) {
  const auto since_epoch = time.time_since_epoch();
  const auto whole = std::chrono::floor<std::chrono::seconds>(since_epoch);
  return static_cast<double>(whole.count()) +
         std::chrono::duration<double>(since_epoch - whole).count();
}
}  // namespace

void Metrics::SetCheckpointTime(TimePoint time) {
  std::lock_guard<std::mutex> lock(mutex_);
  checkpoint_time_ = UnixSeconds(time);
}

void Metrics::SetLastSuccessfulCycle(TimePoint time) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_success_ = UnixSeconds(time);
}

void Metrics::AddSourceRequest(RequestOutcome outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++source_requests_[static_cast<std::size_t>(outcome)];
}

void Metrics::AddBudgetWait(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++budget_waits_;
  budget_wait_seconds_ += seconds;
}

std::string Metrics::RenderPrometheus() const {
  // The text of prometheus_client's generate_latest (0.25, the SDK's lock): counters named
  // with `_total` in HELP and TYPE too, each followed by its `_created` gauge family.
  std::string out;
  Header(out, kForwarded, kForwardedHelp, "counter");
  Sample(out, kForwarded, label_, static_cast<double>(forwarded_.load()));
  Created(out, kForwardedMetric, kForwardedHelp, label_, created_);

  {
    std::lock_guard<std::mutex> lock(mutex_);
    Header(out, kDuration, kDurationHelp, "histogram");
    const std::string bucket = std::string(kDuration) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += bucket_counts_[i];
      Sample(out, bucket, label_ + ",le=\"" + GoFloat(kBuckets[i]) + "\"",
             static_cast<double>(cumulative));
    }
    Sample(out, bucket, label_ + ",le=\"+Inf\"", static_cast<double>(duration_count_));
    Sample(out, std::string(kDuration) + "_count", label_, static_cast<double>(duration_count_));
    Sample(out, std::string(kDuration) + "_sum", label_, duration_sum_);
    Created(out, kDuration, kDurationHelp, label_, created_);
  }

  Header(out, kDiscarded, kDiscardedHelp, "counter");
  Sample(out, kDiscarded, label_, static_cast<double>(discarded_.load()));
  Created(out, kDiscardedMetric, kDiscardedHelp, label_, created_);

  std::lock_guard<std::mutex> lock(mutex_);
  // Absent until known: a 0 would say "caught up" before anything was read.
  Header(out, kLag, kLagHelp, "gauge");
  if (lag_) Sample(out, kLag, label_, *lag_);

  Header(out, kRepaired, kRepairedHelp, "counter");
  Sample(out, kRepaired, label_, static_cast<double>(repaired_.load()));
  Created(out, kRepairedMetric, kRepairedHelp, label_, created_);

  Header(out, kCheckpoint, kCheckpointHelp, "gauge");
  if (checkpoint_time_) Sample(out, kCheckpoint, label_, *checkpoint_time_);
  Header(out, kLastSuccess, kLastSuccessHelp, "gauge");
  if (last_success_) Sample(out, kLastSuccess, label_, *last_success_);

  Header(out, kRequests, kRequestsHelp, "counter");
  static constexpr const char* kOutcomes[] = {"ok", "throttled", "failed"};
  for (std::size_t i = 0; i < source_requests_.size(); ++i) {
    Sample(out, kRequests, label_ + ",outcome=\"" + kOutcomes[i] + "\"",
           static_cast<double>(source_requests_[i]));
  }
  {
    const std::string name = std::string(kRequestsMetric) + "_created";
    Header(out, name.c_str(), kRequestsHelp, "gauge");
    for (const char* outcome : kOutcomes)
      Sample(out, name, label_ + ",outcome=\"" + outcome + "\"", created_);
  }

  Header(out, kBudgetWaits, kBudgetWaitsHelp, "counter");
  Sample(out, kBudgetWaits, label_, static_cast<double>(budget_waits_));
  Created(out, kBudgetWaitsMetric, kBudgetWaitsHelp, label_, created_);
  Header(out, kBudgetSeconds, kBudgetSecondsHelp, "counter");
  Sample(out, kBudgetSeconds, label_, budget_wait_seconds_);
  Created(out, kBudgetSecondsMetric, kBudgetSecondsHelp, label_, created_);
  return out;
}

}  // namespace sekoia
