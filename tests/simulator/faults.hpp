#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "random.hpp"

namespace mtsim {

/** Fault rates are probabilities in [0, 1] per eligible request; 0 disables the fault. */
struct FaultOptions {
  double http_500 = 0;          ///< message-trace request answered 500
  double http_503 = 0;          ///< ... 503
  double http_429_seconds = 0;  ///< ... 429, Retry-After in seconds
  double http_429_date = 0;     ///< ... 429, Retry-After as an HTTP date
  double close = 0;             ///< page cut mid-body, connection closed
  double bad_json = 0;          ///< 200 with the page truncated (invalid JSON)
  double revoke_401 = 0;        ///< 401 on a next page (Bearer), token revoked
  double slow_rate = 0;         ///< message-trace reply delayed by slow_seconds
  double slow_seconds = 0;
  double token_503 = 0;          ///< token endpoint answers 503
  double intake_503 = 0;         ///< intake: start of a burst of 503 answers
  int intake_503_burst = 1;      ///< intake requests answered 503 in a row per burst
  double logs_503 = 0;           ///< platform logs endpoint answers 503
  double intake_outage_at = -1;  ///< seconds after start; negative: no outage
  double intake_outage_for = 0;  ///< outage length in seconds
  double retry_after_seconds =
      1;                 ///< Retry-After of injected 429s (a fraction is sent as decimals)
  double loop = 0;       ///< Graph: a third or later page links back to the second page
  double index_gap = 0;  ///< Reporting: a page leaves out one row (a gap in Index)
};

/** The faults a message-trace request can get instead of (or on top of) its answer. */
enum class TraceFault { kNone, k500, k503, k429Seconds, k429Date, kClose, kBadJson, k401 };

/** Draws faults from a seeded generator and counts those injected. Thread-safe. */
class FaultInjector final {
 public:
  FaultInjector(const FaultOptions& options, std::uint64_t seed);

  const FaultOptions& options() const { return options_; }

  /** One draw per message-trace request; k401 only when `can_revoke` (Bearer, next page). */
  TraceFault DrawTraceFault(bool can_revoke);
  bool DrawSlow();
  /** Faults counted only once injected (kinds absent from Counts() until then). */
  bool DrawLoop();
  bool DrawIndexGap();
  bool DrawToken503();
  /** True for the intake requests of a burst: a draw starts one, the next requests continue it. */
  bool DrawIntake503();
  bool DrawLogs503();
  /**
   * Makes the next `count` eligible requests get the fault `kind` (a key of Counts(): 500, 503,
   * 429_seconds, 429_date, close, bad_json, 401, slow, token_503, intake_503, logs_503), on top
   * of the drawn ones. False for another kind.
   */
  bool Force(const std::string& kind, int count = 1);
  /** Counts a fault the simulator applied itself (an over-limit 413, an early-expired token). */
  void Count(const char* kind);
  /** Whether `seconds_since_start` falls in the configured intake outage (counted). */
  bool InIntakeOutage(double seconds_since_start);
  /** Replaces the intake outage: from `at` for `length` seconds after start (at < 0: none). */
  void ScheduleIntakeOutage(double at, double length);

  /** Injected faults so far, by kind (every kind present, 0 included). */
  std::map<std::string, std::uint64_t> Counts() const;

 private:
  bool Draw(double rate, const char* kind);  // mutex_ held
  bool TakeForced(const char* kind);         // mutex_ held: a forced fault of this kind, counted

  FaultOptions options_;
  mutable std::mutex mutex_;
  Random random_;
  std::map<std::string, std::uint64_t> counts_;
  std::map<std::string, int> forced_;  // kind -> requests still to fail that way
  int intake_burst_left_ = 0;          // 503s still due in the current intake burst
  double outage_at_;  // the intake outage in force (options, or ScheduleIntakeOutage)
  double outage_for_;
};

}  // namespace mtsim
