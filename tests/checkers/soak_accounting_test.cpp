#include "soak_accounting.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace checkers {
namespace {

using nlohmann::json;

// Answers scripted per path and query; records what was asked.
class FakeStatsSource final : public StatsSource {
 public:
  std::map<std::string, json> answers;
  std::vector<std::string> requests;
  json Get(const std::string& path_and_query) override {
    requests.push_back(path_and_query);
    const auto it = answers.find(path_and_query);
    if (it == answers.end()) {
      ADD_FAILURE() << "unscripted " << path_and_query;
      throw std::runtime_error("unscripted " + path_and_query);
    }
    return it->second;
  }
};

json AllFaults(std::uint64_t n) {
  json faults = json::object();
  for (const char* kind :
       {"401", "429_date", "429_seconds", "500", "503", "bad_json", "close", "intake_413",
        "intake_503", "intake_outage", "logs_503", "slow", "token_503", "token_expired_early"}) {
    faults[kind] = n;
  }
  return faults;
}

// /stats?until=... of a run where every record arrived, `duplicates` of them twice.
json FinalStats(std::uint64_t missing, std::uint64_t duplicates) {
  return {{"tenant_records", 20000},
          {"served_distinct", 20000},
          {"received_total", 20000 - missing + duplicates},
          {"received_distinct", 20000 - missing},
          {"duplicates", duplicates},
          {"missing", missing},
          {"expected", 20000},
          {"graph_requests", 40},
          {"throttled", 0},
          {"intake_requests", 300},
          {"token_requests", 12},
          {"logs_received", 80},
          {"faults", AllFaults(2)}};
}

json Log(const std::string& level, const std::string& message) {
  return {{"date", "2026-12-07T08:00:00.000000"}, {"level", level}, {"message", message}};
}

json Checkpoint(const std::string& at) { return {{"most_recent_date_requested", at}}; }

// A soak that passes: 11 random kills, 3 during checkpoint writes, 4 damaged files, each warned
// about; one random kill left 120 records beyond its checkpoint, and the next life re-sent them.
struct PassingSoak {
  FakeStatsSource stats;
  SoakLedger ledger;
  json logs = json::array();

  PassingSoak() {
    ledger.page_size = 2000;
    stats.answers["/stats?after=2026-12-07T08:00:00Z&skip=0"] = {{"received_after", 0}};
    stats.answers["/stats?after=2026-12-07T08:00:10Z&skip=0"] = {{"received_after", 120}};
    const json quiet = Checkpoint("2026-12-07T08:00:00Z");
    EndLife(ledger, {"random", 137}, 0, Checkpoint("2026-12-07T08:00:10Z"), stats);
    EndLife(ledger, {"random", 137}, 120, quiet, stats);  // re-sent what the kill before left
    for (int i = 0; i < 9; ++i) EndLife(ledger, {"random", 137}, 120, quiet, stats);
    for (int i = 0; i < 3; ++i) EndLife(ledger, {"checkpoint-write", 137}, 120, quiet, stats);
    for (const char* kind : {"truncated", "empty", "not-json", "future"}) {
      EndLife(ledger, {kind, 137}, 120, std::nullopt, stats);
      ledger.warned[kind] = true;
    }
    logs.push_back(
        Log("error", "cannot save the checkpoint, going on in memory: Permission denied"));
  }
};

SoakEnd CleanStop() { return {0, 1.0, 20480}; }

TEST(SoakAccounting, PassesWhenNothingIsLostAndEveryDuplicateWasLeftByAKill) {
  PassingSoak soak;
  EndLife(soak.ledger, {"sigterm", 0}, 120, std::nullopt, soak.stats);
  const SoakReport report =
      BuildSoakReport(soak.ledger, FinalStats(0, 120), soak.logs, CleanStop());
  EXPECT_TRUE(report.failures.empty()) << FormatSoakReport(report);
  const std::string text = FormatSoakReport(report);
  EXPECT_NE(text.find("   lost                                                       0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("     records beyond the checkpoint at kills (1 kills)         120\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("SIGKILL restarts (random / checkpoint write / damaged context) 18 (11 / 3 / 4)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("restarts in all / after the trigger ended by itself (crashes) 18 / 0"),
            std::string::npos);
  EXPECT_NE(text.find("damaged context.json files warned about (of 4)             4\n"),
            std::string::npos);
  EXPECT_NE(text.find("peak resident memory of the trigger                        20.0 MiB\n"),
            std::string::npos);
  EXPECT_NE(text.find("SIGTERM at the end: exit code, seconds                     0, 1.0\n"),
            std::string::npos);
  EXPECT_NE(text.find("     401 2                          429_date 2                     "
                      "429_seconds 2             \n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n== soak passed: 0 lost; every duplicate from a kill between the intake's "
                      "acceptance and "
                      "the checkpoint\n"),
            std::string::npos);
}

TEST(SoakAccounting, FailsOnALostRecord) {
  PassingSoak soak;
  const SoakReport report =
      BuildSoakReport(soak.ledger, FinalStats(1, 120), soak.logs, CleanStop());
  EXPECT_EQ(report.lost, 1u);
  EXPECT_EQ(report.failures, std::vector<std::string>{"1 records lost"});
  EXPECT_NE(FormatSoakReport(report).find("== FAILED: 1 records lost\n"), std::string::npos);
  EXPECT_EQ(FormatSoakReport(report).find("soak passed"), std::string::npos);
}

TEST(SoakAccounting, ADuplicateNoKillLeftIsUnexplained) {
  FakeStatsSource stats;
  SoakLedger ledger;
  ledger.page_size = 2000;
  stats.answers["/stats?after=2026-12-07T08:00:00Z&skip=0"] = {{"received_after", 0}};
  EndLife(ledger, {"random", 137}, 0, Checkpoint("2026-12-07T08:00:00Z"), stats);
  // The next life re-sends 7 records although its checkpoint left none beyond it.
  const std::vector<std::string> lines =
      EndLife(ledger, {"random", 137}, 7, Checkpoint("2026-12-07T08:00:00Z"), stats);
  EXPECT_EQ(ledger.unexplained, 7u);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(
      lines[0],
      "this life of the trigger re-sent 7 record(s), more than the 0 left beyond its checkpoint");
  EXPECT_EQ(lines[1],
            "SIGKILL (random); the intake holds 0 record(s) beyond the checkpoint it left");

  PassingSoak soak;
  soak.ledger.unexplained = ledger.unexplained;
  const SoakReport report =
      BuildSoakReport(soak.ledger, FinalStats(0, 127), soak.logs, CleanStop());
  EXPECT_EQ(report.failures, std::vector<std::string>{
                                 "7 duplicates beyond what the kills left beyond the checkpoint"});
}

TEST(SoakAccounting, ALifeMayResendOnlyWhatTheKillBeforeLeft) {
  FakeStatsSource stats;
  SoakLedger ledger;
  ledger.page_size = 2000;
  stats.answers["/stats?after=2026-12-07T08:00:00Z&skip=0"] = {{"received_after", 50}};
  EndLife(ledger, {"random", 137}, 0, Checkpoint("2026-12-07T08:00:00Z"), stats);
  EXPECT_EQ(ledger.allowance, 50u);
  // 50 re-sent: explained; the next allowance comes from the new checkpoint.
  EndLife(ledger, {"random", 137}, 50, Checkpoint("2026-12-07T08:00:00Z"), stats);
  EXPECT_EQ(ledger.unexplained, 0u);
  // 51 more in the next life: one beyond.
  EndLife(ledger, {"sigterm", 0}, 101, std::nullopt, stats);
  EXPECT_EQ(ledger.unexplained, 1u);
  EXPECT_EQ(ledger.resend_kills, 2u);
  EXPECT_EQ(ledger.beyond_total, 100u);
  EXPECT_EQ(ledger.restarts, 2u);  // the final SIGTERM is no restart
}

TEST(SoakAccounting, AKillThatLeftMoreThanOnePageFails) {
  FakeStatsSource stats;
  PassingSoak soak;
  stats.answers["/stats?after=2026-12-07T08:00:00Z&skip=0"] = {{"received_after", 2001}};
  EndLife(soak.ledger, {"random", 137}, 120, Checkpoint("2026-12-07T08:00:00Z"), stats);
  EXPECT_EQ(soak.ledger.over_one_page, 1u);
  const SoakReport report =
      BuildSoakReport(soak.ledger, FinalStats(0, 120), soak.logs, CleanStop());
  EXPECT_EQ(report.failures,
            std::vector<std::string>{"1 kills left more than one page beyond the checkpoint"});
}

TEST(SoakAccounting, ATriggerThatEndedByItselfIsACrash) {
  FakeStatsSource stats;
  SoakLedger ledger;
  stats.answers["/stats?after=2026-12-07T08:00:00Z&skip=0"] = {{"received_after", 0}};
  EXPECT_EQ(EndLife(ledger, {"crash", 1}, 0, Checkpoint("2026-12-07T08:00:00Z"), stats),
            std::vector<std::string>{"the trigger ended by itself (exit 1)"});
  // A SIGKILL the trigger did not die of (it had already ended): a crash too.
  EndLife(ledger, {"random", 0}, 0, Checkpoint("2026-12-07T08:00:00Z"), stats);
  EXPECT_EQ(ledger.crashes, 2u);
  EXPECT_EQ(ledger.kills["random"], 1u);
  EXPECT_EQ(ledger.restarts, 2u);

  PassingSoak soak;
  soak.ledger.crashes = ledger.crashes;
  EXPECT_EQ(BuildSoakReport(soak.ledger, FinalStats(0, 120), soak.logs, CleanStop()).failures,
            std::vector<std::string>{"the trigger ended by itself 2 time(s)"});
}

TEST(SoakAccounting, EachMissingCheckFails) {
  PassingSoak soak;
  soak.ledger.kills = {{"random", 5}, {"checkpoint-write", 1}};
  soak.ledger.damaged = {"truncated", "empty", "future"};
  soak.ledger.warned["empty"] = false;
  json stats = FinalStats(0, 120);
  stats["faults"]["slow"] = 0;
  stats["faults"]["token_503"] = 0;
  const SoakReport report = BuildSoakReport(soak.ledger, stats, json::array(), {143, 30.2, 1024});
  EXPECT_EQ(
      report.failures,
      (std::vector<std::string>{
          "only 6 SIGKILL restarts",
          "only 3 of the 4 damaged context.json files were made (the trigger was not caught up)",
          "damaged context.json files not warned about: empty",
          "the read-only data directory was not reported",
          "SIGTERM: exit 143",
          "faults never injected: slow,token_503",
      }));
}

TEST(SoakAccounting, ReadOnlyErrorsCountFromTheirMark) {
  PassingSoak soak;
  soak.ledger.log_marks["readonly"] = 1;  // the one logged before the directory was made read-only
  EXPECT_EQ(BuildSoakReport(soak.ledger, FinalStats(0, 120), soak.logs, CleanStop()).failures,
            std::vector<std::string>{"the read-only data directory was not reported"});
}

TEST(SoakAccounting, AWindowInProgressCountsBeyondThePagesItRead) {
  FakeStatsSource stats;
  // The query started 30 s before the window (the lookback), and its pages read 2,500 rows, 400
  // of them before the window.
  const json context = {
      {"most_recent_date_requested", "2026-12-07T08:00:00Z"},
      {"window",
       {{"start", "2026-12-07T08:00:00Z"},
        {"end", "2026-12-07T08:00:06Z"},
        {"rows_read", 2500},
        {"next_link",
         "http://127.0.0.1:1/v1.0/admin/exchange/tracing/"
         "messageTraces?$filter=receivedDateTime+ge+2026-12-07T07%3A59%"
         "3A30Z+and+receivedDateTime+le+2026-12-07T08%3A00%3A06Z&$top=2000&$skiptoken=1.2500"}}}};
  stats.answers["/stats?since=2026-12-07T07:59:30Z&until=2026-12-07T08:00:00Z"] = {
      {"expected", 400}};
  stats.answers["/stats?after=2026-12-07T08:00:00Z&skip=2100"] = {{"received_after", 900}};
  EXPECT_EQ(ResendsBeyondCheckpoint(context, stats), 900u);
  EXPECT_EQ(stats.requests.size(), 2u);
}

TEST(SoakAccounting, AWindowWithoutNextLinkCountsFromItsStart) {
  FakeStatsSource stats;
  const json context = {
      {"most_recent_date_requested", "2026-12-07T08:00:00Z"},
      {"window",
       {{"start", "2026-12-07T08:00:00Z"}, {"end", "2026-12-07T08:00:06Z"}, {"rows_read", 0}}}};
  stats.answers["/stats?after=2026-12-07T08:00:00Z&skip=0"] = {{"received_after", 3}};
  EXPECT_EQ(ResendsBeyondCheckpoint(context, stats), 3u);
}

TEST(SoakAccounting, AnUnreadableCheckpointLeavesNoAllowance) {
  FakeStatsSource stats;
  SoakLedger ledger;
  ledger.allowance = 40;
  EndLife(ledger, {"truncated", 137}, 40, std::nullopt, stats);
  EXPECT_EQ(ledger.allowance, 0u);
  EXPECT_TRUE(stats.requests.empty());
  EXPECT_EQ(ledger.damaged, std::vector<std::string>{"truncated"});
}

TEST(SoakAccounting, DecodesANextLinksQuery) {
  EXPECT_EQ(DecodeQueryText("receivedDateTime+ge+2026-12-07T07%3A59%3A30Z%2b"),
            "receivedDateTime ge 2026-12-07T07:59:30Z+");
  EXPECT_EQ(DecodeQueryText("100%"), "100%");
}

TEST(SoakAccounting, CountsTheTriggersReportsByLevelAndWords) {
  const json logs = json::array({
      Log("warning", "the checkpoint is unusable (not JSON); starting from now"),
      Log("info", "the checkpoint is unusable (not JSON); starting from now"),
      Log("warning",
          "the checkpoint's date 2031-12-07T08:00:00Z is in the future; starting from now"),
      Log("error", "cannot save the checkpoint, going on in memory: Permission denied"),
      Log("error", "collection failed: HTTP 503; retrying in 5 s (failing for 40 s)"),
      Log("warning", "collection failed: HTTP 503; retrying in 5 s"),
      Log("critical", "collection failed 5 times in a row; last error: HTTP 503"),
  });
  EXPECT_EQ(CountLogs(logs, LogKey::kUnusable), 1u);
  EXPECT_EQ(CountLogs(logs, LogKey::kFuture), 1u);
  EXPECT_EQ(CountLogs(logs, LogKey::kReadOnly), 1u);
  EXPECT_EQ(CountLogs(logs, LogKey::kFailedCycle), 1u);
  EXPECT_EQ(WarningOfDamage("future"), LogKey::kFuture);
  EXPECT_EQ(WarningOfDamage("not-json"), LogKey::kUnusable);
  EXPECT_EQ(LogKeyFromName("readonly"), LogKey::kReadOnly);
  EXPECT_FALSE(LogKeyFromName("nothing"));
}

TEST(SoakAccounting, TheLedgerSurvivesItsFile) {
  PassingSoak soak;
  soak.ledger.log_marks["readonly"] = 3;
  const SoakLedger copy = LedgerFromJson(json::parse(LedgerToJson(soak.ledger).dump()));
  EXPECT_EQ(LedgerToJson(copy), LedgerToJson(soak.ledger));
  EXPECT_EQ(copy.kills.at("random"), 11u);
  EXPECT_THROW(LedgerFromJson(json::object()), json::exception);
}

}  // namespace
}  // namespace checkers
