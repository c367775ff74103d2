#pragma once
// The soak's accounting (scripts/soak.sh, docs/soak.md): what each life of the trigger may
// re-send, what it did, and the verdict, from the simulator's /stats and /logs-received and the
// data directory's context.json. No clock, no process: the programs around it do the waiting.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats_source.hpp"

namespace checkers {

/** The soak's state across the trigger's lives, kept in a JSON file between the script's calls. */
struct SoakLedger {
  std::uint64_t page_size = 0;  ///< the trigger's page_size: at most one page beyond a checkpoint
  std::uint64_t allowance = 0;  ///< what the running life may re-send (left by the kill before)
  std::uint64_t duplicates_seen = 0;  ///< the simulator's duplicates when the last life ended
  std::uint64_t beyond_total = 0;     ///< records beyond the checkpoint, over every kill
  std::uint64_t resend_kills = 0;     ///< kills that left records beyond the checkpoint
  std::uint64_t over_one_page = 0;    ///< kills that left more than page_size beyond it
  std::uint64_t unexplained = 0;      ///< duplicates beyond the allowances
  std::uint64_t crashes = 0;          ///< lives that ended by themselves (or not by SIGKILL's 137)
  std::uint64_t restarts = 0;         ///< lives ended other than by the final SIGTERM
  std::map<std::string, std::uint64_t>
      kills;                         ///< SIGKILLs by kind (random, checkpoint-write, truncated...)
  std::vector<std::string> damaged;  ///< damaged context.json made, by kind, in order
  std::map<std::string, bool> warned;  ///< damaged kind -> its warning reached the platform
  std::map<std::string, std::uint64_t> log_marks;  ///< LogKey name -> its count when marked
};

nlohmann::json LedgerToJson(const SoakLedger& ledger);
/** Throws nlohmann::json::exception on a document LedgerToJson did not write. */
SoakLedger LedgerFromJson(const nlohmann::json& document);

/** The damaged context.json kinds the soak makes. */
bool IsDamageKind(const std::string& kind);

/** How a life of the trigger ended. */
struct LifeEnd {
  std::string
      kind;  ///< "crash" (ended by itself), "sigterm" (the final stop), or the SIGKILL's kind
  int exit_code = 0;  ///< as the shell's wait reports it (137 for SIGKILL)
};

/** '+' as a space and %XX as its byte: a next link's query as Graph reads it. */
std::string DecodeQueryText(const std::string& text);

/**
 * How many records the intake holds beyond the checkpoint `context` (context.json): they may
 * be read and sent again after a restart. A window in progress with a next link counts from
 * the records its pages already read (rows_read counts from the query's start, the lookback
 * before the window included). Queries `stats`; throws what it throws.
 */
std::uint64_t ResendsBeyondCheckpoint(const nlohmann::json& context, StatsSource& stats);

/**
 * A life ended: its duplicates (`duplicates_now` - those seen before) must not exceed the
 * allowance its start was given; the next life's allowance is what the intake holds beyond
 * `context` (none when the checkpoint is unreadable, or at the final SIGTERM). Returns the
 * lines to print.
 */
std::vector<std::string> EndLife(SoakLedger& ledger, const LifeEnd& end,
                                 std::uint64_t duplicates_now,
                                 const std::optional<nlohmann::json>& context, StatsSource& stats);

/** What the trigger reports to the platform (/logs-received) that the verdict counts. */
enum class LogKey { kUnusable, kFuture, kReadOnly, kFailedCycle };
/** "unusable", "future", "readonly", "failed-cycle"; nullopt for another name. */
std::optional<LogKey> LogKeyFromName(const std::string& name);
std::string LogKeyName(LogKey key);
/** The warning a damaged context.json of `kind` must give. */
LogKey WarningOfDamage(const std::string& kind);
/** Entries of `logs` (/logs-received: [{"date","level","message"}]) that are `key`. */
std::uint64_t CountLogs(const nlohmann::json& logs, LogKey key);

/** What the script measured itself at the end. */
struct SoakEnd {
  int exit_code = 0;        ///< of the final SIGTERM
  double stop_seconds = 0;  ///< from SIGTERM to exit
  std::uint64_t rss_peak_kib = 0;
};

struct SoakReport {
  std::vector<std::pair<std::string, std::string>> rows;
  std::vector<std::string> faults;    ///< "401 3", by kind
  std::vector<std::string> failures;  ///< empty: passed
  std::uint64_t lost = 0;
};

/** The verdict from the ledger, /stats?until=<end> and /logs-received. */
SoakReport BuildSoakReport(const SoakLedger& ledger, const nlohmann::json& stats,
                           const nlohmann::json& logs, const SoakEnd& end);
/** The table and the verdict line(s), as docs/soak.md quotes them. */
std::string FormatSoakReport(const SoakReport& report);

}  // namespace checkers
