#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "forwarded_keys.hpp"
#include "reread_schedule.hpp"
#include "sekoia/backoff.hpp"
#include "sekoia/checkpoint_store.hpp"
#include "sekoia/clock.hpp"
#include "sekoia/health.hpp"
#include "sekoia/intake/intake_batcher.hpp"
#include "sekoia/logger.hpp"
#include "sekoia/metrics.hpp"
#include "sekoia/random.hpp"
#include "trace_source.hpp"

namespace message_trace {

struct CollectorOptions final {
  std::chrono::seconds frequency{60};   ///< once caught up, one window this often
  std::chrono::seconds timedelta{300};  ///< windows end at least this far behind now
  std::chrono::hours start_time{1};     ///< how far back the first start begins
  /** Full lookback (the former way): each query also re-reads this much before the window.
   *  Exclusive with reread_after. */
  std::chrono::seconds lookback{0};
  /** Ages after its end at which each window is read again (ascending); empty: none. */
  std::vector<std::chrono::seconds> reread_after;
  double reread_merge_share = 0.25;          ///< see RereadScheduleOptions::merge_share
  std::chrono::seconds startup_grace{1800};  ///< failures before this are not "repeated failures"
  int failures_before_critical = 5;  ///< consecutive failed cycles that raise a critical log
  /// After a passing failure: waits of 5 s, 10 s, 20 s... at most 10 minutes (equal jitter, see
  /// sekoia::Backoff), from 5 s again once a page is acknowledged; no bound (a poll loop never
  /// gives up: a failed cycle backs off and goes on).
  sekoia::BackoffOptions failure_backoff{std::chrono::seconds(5), std::chrono::seconds(600), 0,
                                         std::chrono::milliseconds(0)};
  /// A permanent failure (see ClassifyFailure) is tried again this often: the SDK's rhythm after
  /// a critical (_STOP_EVENT_WAIT).
  std::chrono::seconds permanent_retry{120};
  /// A passing failure is a warning until it has lasted this long, then an error.
  std::chrono::seconds passing_error_after{600};
  std::chrono::seconds progress_interval{60};  ///< catching-up progress lines at least this often
  /// Once caught up, a summary line this often instead of a line per window (those go to stderr
  /// only, at debug level).
  std::chrono::seconds summary_interval{3600};
};

/** How a failed cycle is treated; decided once, here, for every kind of failure. */
enum class FailureClass {
  kPassing,    ///< 5xx, 429, lost connections, timeouts: retried with backoff, passes by itself
  kPermanent,  ///< refused credentials or permissions, a refused intake key, a bad configuration:
               ///< needs a person, said at once as critical, retried slowly
};

/** Permanent: AuthError (Entra refused the credentials: AADSTS 7000215, 7000222, 700016, 90002,
 *  700027...), ConfigError, IntakeRefusedError, and HttpStatusError 400, 401, 403 and 404 (an
 *  unprovisioned or unconsented application, a retired Basic auth, a wrong URL). Everything else
 *  (TransportError, 5xx, 429, an invalid page) is passing. Collector::Run treats a 401 as passing
 *  the first time (a token revoked mid-paging), as permanent when the next cycle fails on one too.
 */
FailureClass ClassifyFailure(const std::exception& error);

/** The intake refused the events (HTTP 401, 403 or 404): intake_key or intake_server is wrong. */
class IntakeRefusedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** Where the collector is: the end of the last completed window, and the window in progress. */
struct CollectorCursor final {
  sekoia::TimePoint next_start{};       ///< most_recent_date_requested
  std::optional<Window> window;         ///< a window started and not finished
  std::optional<std::string> next_url;  ///< the window's next page to read
  std::size_t rows_read = 0;            ///< the window's rows already read
  /** Where the forwarded keys begin: a lookback never reaches before it, since what was sent
   *  earlier (e.g. by the platform's Python trigger, whose context.json this resumes) is unknown.
   */
  std::optional<sekoia::TimePoint> lookback_from;
  /** `window` is a re-read of spans read before, not a first read (next_start does not move). */
  bool rereading = false;
  /** When the read of `window` began (kept across a restart: the earliest is the safe one). */
  std::optional<sekoia::TimePoint> read_at;
  /** Spans read whose re-reads are not all done, sorted by start. */
  std::vector<PendingReread> rereads;
  /** The checkpoint held "rereads" (absent from one written with a full lookback). */
  bool rereads_recorded = false;
};

/** The checkpoint document: {"most_recent_date_requested": ISO, "window": {...}} (the key the
 *  platform's existing Python trigger uses, so its context.json resumes); a re-read in progress
 *  is under "reread" instead of "window", the pending re-reads under "rereads":
 *  [{"start", "end", "read_at"}]. */
nlohmann::json CursorToJson(const CollectorCursor& cursor);
/** Reads a checkpoint; throws ParseError saying what is wrong with it. */
CollectorCursor CursorFromJson(const nlohmann::json& document);

/**
 * The collection loop: windows from the checkpoint up to now - timedelta, every page forwarded
 * to the intake before the checkpoint moves past it, records kept in [start, end) so a record on
 * a boundary is sent once. Failed cycles are logged and retried; only a stop ends Run.
 *
 * With re-read ages, each window is read again at those ages after its end (RereadSchedule),
 * so records published late and status changes are collected; with a full lookback instead,
 * each query starts `lookback` before its window. Either way `keys` (required then) lets only
 * records not forwarded before through, is saved before the checkpoint, and keeps a key until
 * no re-read can return its record.
 */
class Collector final {
 public:
  /** Throws std::logic_error when `options` do not fit `source`'s limits (the configuration
   *  loader refuses those, see CheckAgainstLimits), or a lookback comes without `keys`;
   *  StorageError when the checkpoint or the keys cannot be read. */
  Collector(const CollectorOptions& options, TraceSource& source,
            sekoia::intake::IntakeSink& intake, sekoia::CheckpointStore& checkpoints,
            sekoia::Clock& clock, sekoia::Random& random, sekoia::Logger& logger,
            sekoia::Metrics& metrics, sekoia::HealthState& health, ForwardedKeys* keys = nullptr);
  /** Runs until `stop`; saves the checkpoint before returning. */
  void Run(const sekoia::StopSignal& stop);
  /** One cycle: reads the next window if one is due. Returns false when nothing was due. Throws on
   * failure. */
  bool RunOnce(const sekoia::StopSignal& stop);
  const CollectorCursor& cursor() const { return cursor_; }
  /** Where a restart resumes, for the stop line: "the window A -> B, after its first N rows
   *  (the stored next page)" or "A, the next window's start". */
  std::string ResumePoint() const;

 private:
  /** Reads the checkpoint; returns true when it was missing or had to be replaced
   *  (unusable, in the future, too old). */
  bool LoadCursor();
  void SaveCursor();
  std::optional<Window> NextWindow(sekoia::TimePoint now) const;
  /** The earliest time a first read or a re-read is due. */
  sekoia::TimePoint NextDue() const;
  /** What is asked of the service for a window: the window and the lookback before it. */
  Window QueryWindow(const Window& window) const;
  void SaveProgress();
  void ReadWindow(const sekoia::StopSignal& stop);
  void ReportProgress(const Window& window, bool window_done);
  /** Counts a finished window or re-read in the periodic summary, and logs it when due. */
  void Summarize(bool reread);
  sekoia::TimePoint Truncate(sekoia::TimePoint time) const;

  CollectorOptions options_;
  TraceSource& source_;
  sekoia::intake::IntakeSink& intake_;
  sekoia::CheckpointStore& checkpoints_;
  sekoia::Clock& clock_;
  sekoia::Backoff failure_backoff_;
  sekoia::Logger& logger_;
  sekoia::Metrics& metrics_;
  sekoia::HealthState& health_;
  ForwardedKeys* keys_;
  SourceLimits limits_;
  RereadSchedule schedule_;
  CollectorCursor cursor_;
  bool checkpoint_writable_ = true;
  bool keys_writable_ = true;

  // Progress reporting.
  sekoia::SteadyPoint started_at_{};     ///< monotonic, as every interval
  sekoia::TimePoint catch_up_origin_{};  ///< next_start when the run started
  sekoia::SteadyPoint last_progress_{};
  std::uint64_t forwarded_total_ = 0;
  std::uint64_t window_forwarded_ = 0;
  std::uint64_t window_pages_ = 0;
  std::uint64_t window_repaired_ = 0;  ///< records of the window whose invalid UTF-8 was replaced
  /** The oldest and newest record dates read in the window by this process (a resumed window
   *  counts from the resume): how much of it is read, whichever order the service pages in. */
  std::optional<std::pair<sekoia::TimePoint, sekoia::TimePoint>> window_dates_;
  std::uint64_t pages_total_ =
      0;  ///< pages acknowledged since start: a failure after one is not "in a row"
  bool caught_up_said_ = false;  ///< the "caught up after ..." line was logged
  // Since the last summary (once caught up): windows and re-reads done, records, page requests.
  sekoia::SteadyPoint last_summary_{};
  std::uint64_t summary_windows_ = 0;
  std::uint64_t summary_rereads_ = 0;
  std::uint64_t summary_records_ = 0;
  std::uint64_t summary_pages_ = 0;
};

}  // namespace message_trace
