#include "latency_recall_report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "iso_time.hpp"

namespace checkers {
namespace {

using nlohmann::json;

const json& Field(const json& stats, const std::string& path) {
  const json* at = &stats;
  std::size_t from = 0;
  while (from <= path.size()) {
    const std::size_t dot = path.find('.', from);
    const std::string key =
        path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    const auto it = at->find(key);
    if (it == at->end()) throw std::runtime_error("the simulator's /stats has no '" + path + "'");
    at = &*it;
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  return *at;
}

double Num(const json& stats, const std::string& path) { return Field(stats, path).get<double>(); }

// A JSON number as jq prints it: integers without a fraction.
std::string Plain(double value) {
  char text[64];
  if (std::floor(value) == value && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.15g", value);
  }
  return text;
}

std::string Show(const json& stats, const std::string& path) { return Plain(Num(stats, path)); }

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string Percent(double part, double whole) {
  return whole == 0 ? "-" : Format("%.1f%%", 100 * part / whole);
}
std::string Ratio(double a, double b) { return b == 0 ? "-" : Format("%.2f", a / b); }

// Requests per hour of Microsoft's time.
double PerHour(const RecallSetup& setup, double requests) {
  return std::round(requests / setup.trigger_seconds * 3600 * setup.scale);
}

std::string MinutesOf(const json& stats, const char* which) {
  const auto it = stats.find("freshness_minutes");
  if (it == stats.end()) return "-";
  return Plain(std::round(it->at(which).get<double>() * 10) / 10) + " min";
}

// The largest rate within the budget, from this run's figures: rows read per record of the
// tenant (k) and requests per hour (q); at the rate R the full pages are R k / 5000 an hour, the
// other requests (about one a query) do not grow with the rate: R max = (960 - (q - R k / 5000))
// x 5000 / k. Meaningful for a run that kept up (a run held back by the budget reads less).
std::string Sustained(const RecallSetup& setup, const json& stats) {
  const double q = PerHour(setup, Num(stats, "graph_requests"));
  const double rows = Num(stats, "graph_records_served");
  const double n = Num(stats, "tenant_records");
  if (n == 0 || rows == 0) return "-";
  const double k = rows / n;
  double fixed = q - setup.rate * k / 5000;
  if (fixed < 0) fixed = 0;
  return Format("%.0f", (960 - fixed) * 5000 / k);
}

std::string Row(const std::string& label, const std::string& a, const std::string& b) {
  char line[512];
  std::snprintf(line, sizeof line, "   %-52s %-22s %s\n", label.c_str(), a.c_str(), b.c_str());
  return line;
}

std::string Recall(const json& s) {
  const double received = Num(s, "within_delay.received");
  const double published = Num(s, "within_delay.published");
  return Percent(received, published) + " (" + Plain(received) + " / " + Plain(published) + ")";
}

}  // namespace

std::uint64_t PrometheusCounter(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  std::string line;
  double total = 0;
  while (std::getline(lines, line)) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    const std::size_t space = line.rfind(' ');
    total += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return static_cast<std::uint64_t>(total + 0.5);
}

long long MinutesBehind(const RecallSetup& setup, std::optional<long long> checkpoint) {
  const double behind =
      static_cast<double>(setup.measured_at - checkpoint.value_or(0)) / 60 / setup.scale - 5;
  return std::llround(behind < 0 ? 0 : behind);
}

bool PassedUntil(const RecallSetup& setup, std::optional<long long> checkpoint) {
  return checkpoint && *checkpoint >= setup.until;
}

std::string ProgressLine(long long elapsed_seconds, const json& a, const json& b) {
  char line[256];
  std::snprintf(
      line, sizeof line, "   %4llds  A received %7s  B received %7s  not yet published (A+B) %7s",
      elapsed_seconds, Show(a, "published_received").c_str(), Show(b, "published_received").c_str(),
      Plain(Num(a, "unpublished") + Num(b, "unpublished")).c_str());
  return line;
}

RecallReport BuildRecallReport(const RecallSetup& setup, const RecallRun& a, const RecallRun& b) {
  const json& sa = a.stats;
  const json& sb = b.stats;
  std::ostringstream out;
  out << "\n== results (scale " << setup.scale_label
      << "; per hour = Microsoft's time; the budget: 80 per 5 minutes = 960 an hour)\n";
  out << Row("", "A: full lookback " + setup.lookback, "B: re-reads " + setup.ages);
  out << Row("records published (states visible at the end)", Show(sa, "published"),
             Show(sb, "published"));
  out << Row("recall, published at most " + setup.last_age + " min late", Recall(sa), Recall(sb));
  out << Row("recall, all", Percent(Num(sa, "published_received"), Num(sa, "published")),
             Percent(Num(sb, "published_received"), Num(sb, "published")));
  const auto changes = [](const json& s) {
    return Show(s, "within_delay.status_changes_received") + " / " +
           Show(s, "within_delay.status_changes_published");
  };
  out << Row("status changes received / published (within " + setup.last_age + " min)", changes(sa),
             changes(sb));
  out << Row("duplicates", Show(sa, "duplicates"), Show(sb, "duplicates"));
  out << Row("rows read from Graph", Show(sa, "graph_records_served"),
             Show(sb, "graph_records_served"));
  out << Row("distinct record states received", Show(sa, "received_distinct"),
             Show(sb, "received_distinct"));
  out << Row("rows read per record of the tenant",
             Ratio(Num(sa, "graph_records_served"), Num(sa, "tenant_records")),
             Ratio(Num(sb, "graph_records_served"), Num(sb, "tenant_records")));
  out << Row("rows read per distinct record state",
             Ratio(Num(sa, "graph_records_served"), Num(sa, "received_distinct")),
             Ratio(Num(sb, "graph_records_served"), Num(sb, "received_distinct")));
  out << Row("Graph requests", Show(sa, "graph_requests"), Show(sb, "graph_requests"));
  out << Row("requests per hour (budget 960)", Plain(PerHour(setup, Num(sa, "graph_requests"))),
             Plain(PerHour(setup, Num(sb, "graph_requests"))));
  out << Row("budget waits (trigger's metrics) / 429s",
             std::to_string(a.budget_waits) + " / " + Show(sa, "throttled"),
             std::to_string(b.budget_waits) + " / " + Show(sb, "throttled"));
  out << Row("freshness, publication to intake: median", MinutesOf(sa, "median"),
             MinutesOf(sb, "median"));
  out << Row("freshness: 99th percentile", MinutesOf(sa, "p99"), MinutesOf(sb, "p99"));
  const long long behind_a = MinutesBehind(setup, a.checkpoint);
  out << Row("first reads behind at the end (beyond timedelta)", std::to_string(behind_a) + " min",
             std::to_string(MinutesBehind(setup, b.checkpoint)) + " min");
  out << Row("largest rate within the budget (from this run)", Sustained(setup, sa) + "/h",
             Sustained(setup, sb) + "/h");
  out << Row("trigger exit code (SIGTERM)", std::to_string(a.exit_code),
             std::to_string(b.exit_code));
  out << "\n   by publication delay (minutes of Microsoft's time): received / published\n";
  const json& buckets_a = Field(sa, "by_delay");
  const json& buckets_b = Field(sb, "by_delay");
  for (std::size_t i = 0; i < buckets_b.size() && i < buckets_a.size(); ++i) {
    const json& bucket = buckets_b[i];
    const std::string to =
        bucket.contains("to_minutes") ? Plain(bucket["to_minutes"].get<double>()) : "";
    const auto cell = [](const json& x) {
      return Plain(x.at("received").get<double>()) + " / " + Plain(x.at("published").get<double>());
    };
    out << Row("  " + Plain(bucket.at("from_minutes").get<double>()) + "-" + to, cell(buckets_a[i]),
               cell(bucket));
  }

  RecallReport report;
  if (Num(sb, "duplicates") != 0) report.failures.push_back("B forwarded duplicates");
  if (Num(sb, "within_delay.received") != Num(sb, "within_delay.published")) {
    report.failures.push_back("B missed record states published within its last re-read age");
  }
  if (a.exit_code != 0 || b.exit_code != 0)
    report.failures.push_back("a trigger did not exit 0 on SIGTERM");
  if (!PassedUntil(setup, b.checkpoint))
    report.failures.push_back("trigger B did not pass " + FormatIsoSeconds(setup.until));
  if (!PassedUntil(setup, a.checkpoint)) {
    out << "   A did not keep up: its first reads ended " << behind_a << " minutes behind\n";
  }
  out << "\n";
  for (const std::string& failure : report.failures) out << "== FAILED: " << failure << "\n";
  if (report.failures.empty()) {
    out << "== B: 0 duplicates, every record state published within " << setup.last_age
        << " minutes received\n";
  }
  report.text = out.str();
  return report;
}

}  // namespace checkers
