#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sekoia/clock.hpp"
#include "sekoia/stop_signal.hpp"

namespace office365 {

/** A time interval of message traces, [start, end): a record at `end` belongs to the next one. */
struct Window final {
  sekoia::TimePoint start;
  sekoia::TimePoint end;
};

/** One record of a page: its exact bytes as the service sent them, and when it was received
 *  (nullopt when the record's date cannot be read: it is forwarded all the same). */
struct TraceRecord final {
  std::string_view raw;
  std::optional<sekoia::TimePoint> received;
  std::uint64_t key = 0;  ///< RecordKey(trace id, recipient, status); 0 when the record has no id
};

/** One answer page; `records` point into `body`. */
struct TracePage final {
  std::string body;
  std::vector<TraceRecord> records;
  std::optional<std::string> next_url;  ///< the next page of the same window, if any
};

/** Limits of a message-trace API, which the collector's windows respect. */
struct SourceLimits final {
  std::chrono::seconds max_window;  ///< longest window one query may ask for
  std::chrono::seconds max_age;     ///< oldest data the service still holds (with a safety margin)
};

/**
 * A message-trace API. FetchPage throws HttpStatusError (with a message that says how to fix it
 * when a user can), TransportError, AuthError, ParseError, or StopRequested.
 */
class TraceSource {
 public:
  virtual ~TraceSource() = default;
  virtual SourceLimits Limits() const = 0;
  virtual std::string FirstPageUrl(const Window& window) const = 0;
  /** `rows_read` counts the rows of the window's earlier pages (offset-based paging). */
  virtual TracePage FetchPage(const std::string& url, std::size_t rows_read, const sekoia::StopSignal& stop) = 0;
};

}  // namespace office365
