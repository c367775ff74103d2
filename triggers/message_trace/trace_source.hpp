#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sekoia/clock.hpp"
#include "sekoia/stop_signal.hpp"
#include "sekoia/url.hpp"

namespace message_trace {

/** The service's paging cannot be followed: a next link off the service, a link already followed
 *  in the window, more pages than records. No request was made for it. */
class PagingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** `status` (a record's status, raw JSON) in lower case, into `buffer`: statuses are compared
 *  case-insensitively (v1.0 says `delivered`, beta and the legacy service `Delivered`). */
inline std::string_view LowerStatus(std::string_view status, std::string& buffer) {
  buffer.assign(status.begin(), status.end());
  for (char& c : buffer) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return buffer;
}

/** True when `url` has the scheme, host and port of `base` (both absolute http(s) URLs). */
inline bool SameOrigin(const std::string& url, const std::string& base) {
  const auto a = sekoia::ParseUrl(url);
  const auto b = sekoia::ParseUrl(base);
  return a && b && a->scheme == b->scheme && a->host == b->host && a->port == b->port;
}

/** Why a next link `url` off the origin of the configured `argument` is not followed. */
inline std::string OffOriginReason(const std::string& url, const std::string& argument) {
  const auto parsed = sekoia::ParseUrl(url);
  const std::string where =
      parsed ? parsed->scheme + "://" + parsed->host + ":" + std::to_string(parsed->port)
             : std::string("an invalid URL");
  return "the service's next link points to " + where + ", not to " + argument +
         "'s scheme, host and port; it is not followed (the credentials go only to " + argument +
         "), and the window cannot be read further";
}

/** Throws PagingError unless `url` stays on the origin of `base`, the configured `argument`: the
 *  credentials of a service must never reach another host, whatever named it. */
inline void RequireSameOrigin(const std::string& url, const std::string& base,
                              const std::string& argument) {
  if (SameOrigin(url, base)) return;
  throw PagingError(OffOriginReason(url, argument));
}

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
  std::optional<std::string> warning;   ///< something odd about the page the collector should log
  /** Why the page's next link cannot be followed (next_url is then empty): the window ends with
   *  this error after the page, and the link is never saved in the checkpoint. */
  std::optional<std::string> paging_error;
};

/** Called by a source right after parsing `page`: a next link off the origin of `base`, the
 *  configured `argument`, becomes the page's paging_error instead of a link to follow or save. */
inline void RefuseNextLinkOffOrigin(TracePage& page, const std::string& base,
                                    const std::string& argument) {
  if (!page.next_url || SameOrigin(*page.next_url, base)) return;
  page.paging_error = OffOriginReason(*page.next_url, argument);
  page.next_url.reset();
}

/** Limits of a message-trace API, which the collector's windows respect. */
struct SourceLimits final {
  std::chrono::seconds max_window;  ///< longest window one query may ask for
  std::chrono::seconds max_age;     ///< oldest data the service still holds (with a safety margin)
  /** The service selects rows by something else than the record date (the legacy StartDate and
   *  EndDate: first and last processing steps): every row it returns is forwarded, wherever its
   *  date falls; the forwarded keys send a row seen twice once. */
  bool rows_outside_window = false;
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
  virtual TracePage FetchPage(const std::string& url, std::size_t rows_read,
                              const sekoia::StopSignal& stop) = 0;
};

}  // namespace message_trace
