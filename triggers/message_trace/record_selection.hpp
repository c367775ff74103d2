#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forwarded_keys.hpp"
#include "trace_source.hpp"

namespace message_trace {

/** What the selection of a page's records knows of the window being read. */
struct RecordSelectionOptions final {
  Window window;  ///< the window read: records dated from its start on count in the page's dates
  /** The span asked of the service (the window, or the lookback before it too): records dated
   *  outside [start, end) are dropped, as the service's bounds are inclusive. */
  Window query;
  /** The service returns rows whatever their date (SourceLimits::rows_outside_window): every row
   *  is kept. */
  bool rows_outside_window = false;
  /** Keys of records dated before this are not remembered: no later read returns them. */
  sekoia::TimePoint keep_keys_from{};
  /** With rows_outside_window, a row's key is remembered as dated at least this: the next reads
   *  may return it again whatever its date. */
  sekoia::TimePoint rows_outside_key_time{};
};

/** A page's records to send, and what to remember once the intake has acknowledged them. */
struct RecordSelection final {
  /** The records to send, in page order: views into the page's body, or into `repaired`. */
  std::vector<std::string_view> events;
  /** Copies of the records whose invalid UTF-8 was replaced by U+FFFD (the intake takes only
   *  UTF-8); a deque, so the views into it stay valid as it grows and when it moves. */
  std::deque<std::string> repaired;
  /** (key, record time in unix seconds) of the records sent whose keys are kept, for
   *  ForwardedKeys::Add once the intake has acknowledged them. */
  std::vector<std::pair<std::uint64_t, std::int64_t>> new_keys;
  std::size_t undated = 0;           ///< records without a readable date: sent all the same
  std::size_t outside = 0;           ///< dropped: dated outside the query
  std::size_t forwarded_before = 0;  ///< dropped: `forwarded` holds their key
  std::size_t duplicates = 0;        ///< dropped: the same key earlier in the page
  /** The oldest and newest dates of the records within the query dated from the window's start
   *  on (skipped ones included): how much of the window the page covers. */
  std::optional<std::pair<sekoia::TimePoint, sekoia::TimePoint>> dates;
};

/**
 * The records of `page` to send, in page order; pure (reads `page` and `forwarded`, changes
 * neither). A record is dropped when dated outside `options.query` (unless the service returns
 * rows whatever their date), and, with `forwarded` (null: no key is checked nor kept), when its
 * key is in `forwarded` or came earlier in the page; a record with no readable date or no key is
 * kept. Sent records keep the page's bytes (a view), except those with invalid UTF-8, repaired
 * into a copy. The keys of the records sent are returned for ForwardedKeys::Add, dated by their
 * record (the window's end when undated), unless dated before `options.keep_keys_from`.
 */
RecordSelection SelectRecords(const TracePage& page, const RecordSelectionOptions& options,
                              const ForwardedKeys* forwarded);

}  // namespace message_trace
