// The soak's checker (scripts/soak.sh starts the processes, this does the accounting):
//   soak_check init        --ledger F --page-size N
//   soak_check life-ended  --ledger F --sim URL --data DIR --end KIND [--exit-code N]
//   soak_check mark-log    --ledger F --sim URL KEY      KEY: readonly
//   soak_check logged      --ledger F --sim URL KEY      exit 0 once KEY was reported since its
//   mark soak_check warned      --ledger F --sim URL --kind K exit 0 once the damaged kind K was
//   warned about soak_check report      --ledger F --sim URL --from ISO --until ISO --exit-code N
//                          --stop-seconds S --rss-kib K
// KIND: random, checkpoint-write, truncated, empty, not-json, future (a SIGKILL), crash (ended by
// itself), sigterm (the final stop). Exit 0 on success, 1 when the soak failed (report) or the
// awaited report is not there yet (logged, warned), 2 on bad arguments or an unreachable simulator.
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "iso_time.hpp"
#include "soak_accounting.hpp"
#include "stats_source.hpp"

namespace {

using checkers::Arguments;
using checkers::SoakLedger;
using nlohmann::json;

SoakLedger LoadLedger(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read the ledger " + path + " (run 'soak_check init' first)");
  return checkers::LedgerFromJson(json::parse(in));
}

void SaveLedger(const std::string& path, const SoakLedger& ledger) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << checkers::LedgerToJson(ledger).dump(1) << "\n";
    if (!out) throw std::runtime_error("cannot write the ledger " + temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + temporary);
}

// The checkpoint the trigger left, or nothing when it is not a JSON object (damaged, absent).
std::optional<json> ReadContext(const std::string& data_dir) {
  std::ifstream in(data_dir + "/context.json");
  if (!in) return std::nullopt;
  json context = json::parse(in, nullptr, false);
  if (context.is_discarded() || !context.is_object()) return std::nullopt;
  return context;
}

// Once the intake is quiet: a batch whose body reached it before the kill is still recorded.
void Settle(checkers::StatsSource& stats) {
  std::uint64_t after = stats.Get("/stats").at("received_total").get<std::uint64_t>();
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t before = after;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    after = stats.Get("/stats").at("received_total").get<std::uint64_t>();
    if (after == before) break;
  }
}

checkers::LogKey RequireLogKey(const Arguments& arguments) {
  if (arguments.positional().size() != 1) throw std::invalid_argument("give one log key: readonly");
  const auto key = checkers::LogKeyFromName(arguments.positional()[0]);
  if (!key) throw std::invalid_argument("unknown log key '" + arguments.positional()[0] + "'");
  return *key;
}

int Run(const Arguments& arguments) {
  const std::string& command = arguments.command();
  if (command != "init" && command != "life-ended" && command != "mark-log" &&
      command != "logged" && command != "warned" && command != "report") {
    throw std::invalid_argument(command.empty() ? "a command is missing"
                                                : "unknown command '" + command + "'");
  }
  const std::string ledger_path = arguments.Text("ledger");
  if (command == "init") {
    SoakLedger ledger;
    ledger.page_size = static_cast<std::uint64_t>(arguments.Number("page-size"));
    SaveLedger(ledger_path, ledger);
    return 0;
  }
  SoakLedger ledger = LoadLedger(ledger_path);
  checkers::CurlStatsSource stats(arguments.Text("sim"));
  if (command == "life-ended") {
    checkers::LifeEnd end{arguments.Text("end"),
                          static_cast<int>(arguments.Number("exit-code", 137))};
    if (end.kind != "crash" && end.kind != "sigterm" && end.kind != "random" &&
        end.kind != "checkpoint-write" && !checkers::IsDamageKind(end.kind)) {
      throw std::invalid_argument("--end: '" + end.kind + "' is not a kind of end");
    }
    Settle(stats);
    const std::uint64_t duplicates = stats.Get("/stats").at("duplicates").get<std::uint64_t>();
    const std::optional<json> context =
        end.kind == "sigterm" ? std::nullopt : ReadContext(arguments.Text("data"));
    for (const std::string& line : checkers::EndLife(ledger, end, duplicates, context, stats)) {
      std::cout << line << "\n";
    }
    if (checkers::IsDamageKind(end.kind)) {
      // Its warning must come from the next life: count from here.
      const checkers::LogKey key = checkers::WarningOfDamage(end.kind);
      ledger.log_marks[checkers::LogKeyName(key)] =
          checkers::CountLogs(stats.Get("/logs-received"), key);
      ledger.warned[end.kind] = false;
    }
    SaveLedger(ledger_path, ledger);
    return 0;
  }
  if (command == "mark-log" || command == "logged") {
    const checkers::LogKey key = RequireLogKey(arguments);
    const std::uint64_t count = checkers::CountLogs(stats.Get("/logs-received"), key);
    if (command == "mark-log") {
      ledger.log_marks[checkers::LogKeyName(key)] = count;
      SaveLedger(ledger_path, ledger);
      return 0;
    }
    return count > ledger.log_marks[checkers::LogKeyName(key)] ? 0 : 1;
  }
  if (command == "warned") {
    const std::string kind = arguments.Text("kind");
    if (!checkers::IsDamageKind(kind))
      throw std::invalid_argument("--kind: '" + kind + "' is not a damage");
    const checkers::LogKey key = checkers::WarningOfDamage(kind);
    const bool warned = checkers::CountLogs(stats.Get("/logs-received"), key) >
                        ledger.log_marks[checkers::LogKeyName(key)];
    ledger.warned[kind] = warned;
    SaveLedger(ledger_path, ledger);
    return warned ? 0 : 1;
  }
  if (command == "report") {
    const std::string until = arguments.Text("until");
    const auto until_epoch = checkers::ParseIsoSeconds(until);
    const auto from_epoch = checkers::ParseIsoSeconds(arguments.Text("from"));
    if (!until_epoch || !from_epoch)
      throw std::invalid_argument("--from and --until: times such as 2026-12-07T08:00:00Z");
    checkers::SoakEnd end;
    end.exit_code = static_cast<int>(arguments.Number("exit-code"));
    end.stop_seconds = arguments.Number("stop-seconds");
    end.rss_peak_kib = static_cast<std::uint64_t>(arguments.Number("rss-kib"));
    const checkers::SoakReport report = checkers::BuildSoakReport(
        ledger, stats.Get("/stats?until=" + until), stats.Get("/logs-received"), end);
    std::cout << checkers::FormatSoakReport(report);
    if (report.lost > 0) {
      std::cout << "   where the lost records were received (10-second buckets, records' "
                   "receivedDateTime):\n";
      for (long long t = *from_epoch; t < *until_epoch; t += 10) {
        const std::uint64_t missing = stats
                                          .Get("/stats?since=" + checkers::FormatIsoSeconds(t) +
                                               "&until=" + checkers::FormatIsoSeconds(t + 10))
                                          .at("missing")
                                          .get<std::uint64_t>();
        if (missing != 0)
          std::cout << "     " << checkers::FormatIsoSeconds(t) << " +10 s: " << missing << "\n";
      }
    }
    return report.failures.empty() ? 0 : 1;
  }
  return 2;  // not reached: the command was checked first
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(Arguments(argc, argv));
  } catch (const std::invalid_argument& error) {
    std::cerr << "soak_check: " << error.what()
              << " (usage: soak_check init|life-ended|mark-log|logged|warned|report --ledger FILE "
                 "...; see "
                 "tests/checkers/soak_check.cpp)\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "soak_check: " << error.what() << "\n";
    return 2;
  }
}
