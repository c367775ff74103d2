#include "soak_accounting.hpp"

#include <cctype>
#include <cstdio>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace checkers {
namespace {

using nlohmann::json;

std::uint64_t Count(const json& stats, const char* key) {
  const auto it = stats.find(key);
  if (it == stats.end() || !it->is_number()) {
    throw std::runtime_error(std::string("the simulator's /stats has no number '") + key + "'");
  }
  return it->get<std::uint64_t>();
}

std::string Text(std::uint64_t n) { return std::to_string(n); }

std::uint64_t KillsOf(const SoakLedger& ledger, const std::string& kind) {
  const auto it = ledger.kills.find(kind);
  return it == ledger.kills.end() ? 0 : it->second;
}

std::string Row(const std::string& label, const std::string& value) {
  char line[512];
  std::snprintf(line, sizeof line, "   %-58s %s\n", label.c_str(), value.c_str());
  return line;
}

}  // namespace

// Every field, by its own name; a missing one throws (json::at).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SoakLedger, page_size, allowance, duplicates_seen, beyond_total,
                                   resend_kills, over_one_page, unexplained, crashes, restarts,
                                   kills, damaged, warned, log_marks)

json LedgerToJson(const SoakLedger& ledger) { return ledger; }

SoakLedger LedgerFromJson(const json& document) { return document.get<SoakLedger>(); }

bool IsDamageKind(const std::string& kind) {
  return kind == "truncated" || kind == "empty" || kind == "not-json" || kind == "future";
}

std::string DecodeQueryText(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() &&
               std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::uint64_t ResendsBeyondCheckpoint(const json& context, StatsSource& stats) {
  std::string start;
  std::uint64_t skip = 0;
  const auto window = context.find("window");
  if (window != context.end() && window->is_object()) {
    start = window->at("start").get<std::string>();
    const std::string link = window->value("next_link", std::string());
    if (!link.empty()) {
      static const std::regex kLowerBound("receivedDateTime ge ([^ &]*)");
      std::smatch match;
      const std::string decoded = DecodeQueryText(link);
      std::uint64_t before = 0;
      if (std::regex_search(decoded, match, kLowerBound) && match[1].str() != start) {
        before = Count(stats.Get("/stats?since=" + match[1].str() + "&until=" + start), "expected");
      }
      const std::uint64_t rows_read = window->at("rows_read").get<std::uint64_t>();
      skip = rows_read > before ? rows_read - before : 0;
    }
  } else {
    const auto date = context.find("most_recent_date_requested");
    if (date == context.end() || !date->is_string()) return 0;
    start = date->get<std::string>();
  }
  return Count(stats.Get("/stats?after=" + start + "&skip=" + std::to_string(skip)),
               "received_after");
}

std::vector<std::string> EndLife(SoakLedger& ledger, const LifeEnd& end,
                                 std::uint64_t duplicates_now, const std::optional<json>& context,
                                 StatsSource& stats) {
  std::vector<std::string> lines;
  const bool killed = end.kind != "crash" && end.kind != "sigterm";
  // The trigger must only end by our signals: one that ended by itself crashed (or gave up).
  if (end.kind == "crash" || (killed && end.exit_code != 137)) {
    ++ledger.crashes;
    lines.push_back("the trigger ended by itself (exit " + std::to_string(end.exit_code) + ")");
  }
  const std::uint64_t life_duplicates =
      duplicates_now > ledger.duplicates_seen ? duplicates_now - ledger.duplicates_seen : 0;
  ledger.duplicates_seen = duplicates_now;
  if (life_duplicates > ledger.allowance) {
    ledger.unexplained += life_duplicates - ledger.allowance;
    lines.push_back("this life of the trigger re-sent " + Text(life_duplicates) +
                    " record(s), more than the " + Text(ledger.allowance) +
                    " left beyond its checkpoint");
  }
  if (end.kind == "sigterm") return lines;

  ++ledger.restarts;
  const std::uint64_t resent = context ? ResendsBeyondCheckpoint(*context, stats) : 0;
  ledger.allowance = resent;
  if (resent > 0) {
    ++ledger.resend_kills;
    ledger.beyond_total += resent;
    if (resent > ledger.page_size) ++ledger.over_one_page;
  }
  if (killed) {
    ++ledger.kills[end.kind];
    if (IsDamageKind(end.kind)) ledger.damaged.push_back(end.kind);
    lines.push_back("SIGKILL (" + end.kind + "); the intake holds " + Text(resent) +
                    " record(s) beyond the checkpoint it left");
  }
  return lines;
}

std::optional<LogKey> LogKeyFromName(const std::string& name) {
  for (LogKey key : {LogKey::kUnusable, LogKey::kFuture, LogKey::kReadOnly, LogKey::kFailedCycle}) {
    if (LogKeyName(key) == name) return key;
  }
  return std::nullopt;
}

std::string LogKeyName(LogKey key) {
  switch (key) {
    case LogKey::kUnusable:
      return "unusable";
    case LogKey::kFuture:
      return "future";
    case LogKey::kReadOnly:
      return "readonly";
    case LogKey::kFailedCycle:
      return "failed-cycle";
  }
  return "";
}

LogKey WarningOfDamage(const std::string& kind) {
  return kind == "future" ? LogKey::kFuture : LogKey::kUnusable;
}

std::uint64_t CountLogs(const json& logs, LogKey key) {
  // The trigger's own words (collector.cpp): a change of wording there must show here.
  std::string level;
  std::string text;
  bool at_start = false;
  switch (key) {
    case LogKey::kUnusable:
      level = "warning", text = "the checkpoint is unusable";
      break;
    case LogKey::kFuture:
      level = "warning", text = "is in the future; starting from now";
      break;
    case LogKey::kReadOnly:
      level = "error", text = "cannot save the checkpoint";
      break;
    case LogKey::kFailedCycle:
      level = "error", text = "collection failed", at_start = true;
      break;
  }
  std::uint64_t count = 0;
  if (!logs.is_array())
    throw std::runtime_error("the simulator's /logs-received is not a JSON array");
  for (const json& entry : logs) {
    if (!entry.is_object()) continue;
    const std::string message = entry.value("message", std::string());
    const std::size_t at = message.find(text);
    if (entry.value("level", std::string()) == level && at != std::string::npos &&
        (!at_start || at == 0))
      ++count;
  }
  return count;
}

SoakReport BuildSoakReport(const SoakLedger& ledger, const json& stats, const json& logs,
                           const SoakEnd& end) {
  SoakReport report;
  const std::uint64_t received_total = Count(stats, "received_total");
  report.lost = Count(stats, "missing");
  const std::uint64_t duplicates = Count(stats, "duplicates");
  std::uint64_t kill_total = 0;
  for (const auto& [kind, n] : ledger.kills) kill_total += n;
  const std::uint64_t damaged = ledger.damaged.size();
  std::vector<std::string> unwarned;
  for (const std::string& kind : ledger.damaged) {
    const auto it = ledger.warned.find(kind);
    if (it == ledger.warned.end() || !it->second) unwarned.push_back(kind);
  }
  const auto mark = ledger.log_marks.find(LogKeyName(LogKey::kReadOnly));
  const std::uint64_t readonly_now = CountLogs(logs, LogKey::kReadOnly);
  const std::uint64_t readonly_before = mark == ledger.log_marks.end() ? 0 : mark->second;
  const std::uint64_t readonly_errors =
      readonly_now > readonly_before ? readonly_now - readonly_before : 0;

  auto& rows = report.rows;
  rows.emplace_back("records in the tenant", Text(Count(stats, "tenant_records")));
  rows.emplace_back("records served by Microsoft (sim), distinct",
                    Text(Count(stats, "served_distinct")));
  rows.emplace_back("records received by the intake (distinct / total)",
                    Text(Count(stats, "received_distinct")) + " / " + Text(received_total));
  rows.emplace_back("lost", Text(report.lost));
  rows.emplace_back("duplicated", Text(duplicates));
  rows.emplace_back(
      "  records beyond the checkpoint at kills (" + Text(ledger.resend_kills) + " kills)",
      Text(ledger.beyond_total));
  rows.emplace_back("  duplicates beyond what the kill before left (unexplained)",
                    Text(ledger.unexplained));
  rows.emplace_back(
      "  kills that left more than one page (" + Text(ledger.page_size) + ") beyond it",
      Text(ledger.over_one_page));
  rows.emplace_back("SIGKILL restarts (random / checkpoint write / damaged context)",
                    Text(kill_total) + " (" + Text(KillsOf(ledger, "random")) + " / " +
                        Text(KillsOf(ledger, "checkpoint-write")) + " / " + Text(damaged) + ")");
  rows.emplace_back("restarts in all / after the trigger ended by itself (crashes)",
                    Text(ledger.restarts) + " / " + Text(ledger.crashes));
  rows.emplace_back("damaged context.json files warned about (of " + Text(damaged) + ")",
                    Text(damaged - unwarned.size()));
  rows.emplace_back("read-only data directory errors", Text(readonly_errors));
  rows.emplace_back("failed cycles reported (error)", Text(CountLogs(logs, LogKey::kFailedCycle)));
  rows.emplace_back("Graph requests / throttled (429 from the budget)",
                    Text(Count(stats, "graph_requests")) + " / " + Text(Count(stats, "throttled")));
  rows.emplace_back(
      "intake requests / token requests",
      Text(Count(stats, "intake_requests")) + " / " + Text(Count(stats, "token_requests")));
  rows.emplace_back("platform log entries received", Text(Count(stats, "logs_received")));
  char memory[64];
  std::snprintf(memory, sizeof memory, "%.1f MiB", static_cast<double>(end.rss_peak_kib) / 1024);
  rows.emplace_back("peak resident memory of the trigger", memory);
  char stop[64];
  std::snprintf(stop, sizeof stop, "%d, %.1f", end.exit_code, end.stop_seconds);
  rows.emplace_back("SIGTERM at the end: exit code, seconds", stop);

  std::string never;
  const auto faults = stats.find("faults");
  if (faults == stats.end() || !faults->is_object())
    throw std::runtime_error("the simulator's /stats has no 'faults'");
  for (const auto& [kind, n] : faults->items()) {
    report.faults.push_back(kind + " " + Text(n.get<std::uint64_t>()));
    if (n.get<std::uint64_t>() == 0) never += (never.empty() ? "" : ",") + kind;
  }

  auto& failures = report.failures;
  if (report.lost != 0) failures.push_back(Text(report.lost) + " records lost");
  if (ledger.unexplained != 0) {
    failures.push_back(Text(ledger.unexplained) +
                       " duplicates beyond what the kills left beyond the checkpoint");
  }
  if (ledger.over_one_page != 0) {
    failures.push_back(Text(ledger.over_one_page) +
                       " kills left more than one page beyond the checkpoint");
  }
  if (ledger.crashes != 0)
    failures.push_back("the trigger ended by itself " + Text(ledger.crashes) + " time(s)");
  if (kill_total < 10) failures.push_back("only " + Text(kill_total) + " SIGKILL restarts");
  if (damaged != 4) {
    failures.push_back(
        "only " + Text(damaged) +
        " of the 4 damaged context.json files were made (the trigger was not caught up)");
  }
  if (!unwarned.empty()) {
    std::string kinds;
    for (const std::string& kind : unwarned) kinds += (kinds.empty() ? "" : " ") + kind;
    failures.push_back("damaged context.json files not warned about: " + kinds);
  }
  if (readonly_errors < 1) failures.push_back("the read-only data directory was not reported");
  if (end.exit_code != 0) failures.push_back("SIGTERM: exit " + std::to_string(end.exit_code));
  if (!never.empty()) failures.push_back("faults never injected: " + never);
  return report;
}

std::string FormatSoakReport(const SoakReport& report) {
  std::ostringstream out;
  out << "\n== soak result\n";
  for (const auto& [label, value] : report.rows) out << Row(label, value);
  out << "   faults injected, by kind:\n";
  for (std::size_t i = 0; i < report.faults.size(); ++i) {
    char cell[64];
    std::snprintf(cell, sizeof cell, "%-26s", report.faults[i].c_str());
    out << "     " << cell << (i % 3 == 2 ? "\n" : "");
  }
  if (report.faults.size() % 3 != 0) out << "\n";
  out << "\n";
  for (const std::string& failure : report.failures) out << "== FAILED: " << failure << "\n";
  if (report.failures.empty()) {
    out << "== soak passed: 0 lost; every duplicate from a kill between the intake's acceptance "
           "and the checkpoint\n";
  }
  return out.str();
}

}  // namespace checkers
