#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sekoia/clock.hpp"
#include "trace_source.hpp"

namespace message_trace {

/** A span of message-trace time already read, whose re-reads are not all done. */
struct PendingReread final {
  Window span;
  /** When its last read began: every record published before then was in that read. */
  sekoia::TimePoint read_at;
};

/** A re-read to make now: `span` (one or several adjacent pending spans), due since `due`. */
struct DueReread final {
  Window span;
  sekoia::TimePoint due;
};

struct RereadScheduleOptions final {
  /** Ages (time after a span's end) at which it is read again, ascending and positive; the last
   *  one is how late a record may be published and still be collected. Empty: no re-read. */
  std::vector<std::chrono::seconds> ages;
  /** Re-reads due within one step of this share of their age are made together (the due time is
   *  rounded up to that step), so adjacent spans merge into one query. */
  double merge_share = 0.25;
  std::chrono::seconds max_span{
      std::chrono::hours(24)};  ///< longest merged re-read (the API's limit)
};

/**
 * When each span is read again: pure logic over the list of pending spans (sorted by start, not
 * overlapping) that the checkpoint holds. A span read at `read_at` (age `read_at - end`) is next
 * read at the first age beyond that one; a span first read late (catching up) skips the ages it
 * has already passed, and one read beyond the last age is done. Re-reads are never early: a
 * merged span takes the age of its newest part, so older parts may be read once more than their
 * own schedule says, never less. Thread-compatible (const methods only).
 */
class RereadSchedule final {
 public:
  explicit RereadSchedule(RereadScheduleOptions options);
  bool enabled() const { return !options_.ages.empty(); }
  /** The last age (0 when disabled): keys are kept this long after their span's end. */
  std::chrono::seconds last_age() const;
  /** When `pending`'s next re-read is due, or nullopt when its last one is done. */
  std::optional<sekoia::TimePoint> DueAt(const PendingReread& pending) const;
  /** The earliest due time among `pending`, or nullopt when nothing remains. */
  std::optional<sekoia::TimePoint> NextDue(const std::vector<PendingReread>& pending) const;
  /**
   * The re-read to make at `now`: the oldest span that is due, with the adjacent spans after it
   * that are due as well (up to max_span). nullopt when none is due.
   */
  std::optional<DueReread> Next(const std::vector<PendingReread>& pending,
                                sekoia::TimePoint now) const;
  /**
   * Records that `span` was read, beginning at `read_at`: the pending spans it covers (or their
   * covered parts) are replaced by `span` with that read time, dropped when its re-reads are all
   * done. Keeps `pending` sorted by start.
   */
  void Record(std::vector<PendingReread>& pending, const Window& span,
              sekoia::TimePoint read_at) const;
  /** The oldest record time the forwarded keys still need: the start of the oldest pending span,
   *  else `next_start` (where the next first read begins). */
  static sekoia::TimePoint KeyHorizon(const std::vector<PendingReread>& pending,
                                      sekoia::TimePoint next_start);

 private:
  RereadScheduleOptions options_;
};

/** Parses "5,15,30,60" (minutes, decimals allowed) into ages; throws sekoia::ConfigError naming
 *  `argument` unless they are positive, ascending and at most `max_minutes`. */
std::vector<std::chrono::seconds> ParseRereadAges(const std::string& text,
                                                  const std::string& argument, double max_minutes);

/** The ages in effect: those of `ages` shorter than `lookback`, then `lookback` itself (a lookback
 *  sets the last re-read's age); a zero lookback means no re-read at all. */
std::vector<std::chrono::seconds> ApplyLookback(std::vector<std::chrono::seconds> ages,
                                                std::chrono::seconds lookback);

}  // namespace message_trace
