#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "json_text.hpp"
#include "time_text.hpp"

namespace mtsim {

/** Delivery status of one message-trace row. */
enum class TraceStatus {
  kGettingStatus,
  kPending,
  kFailed,
  kDelivered,
  kExpanded,
  kQuarantined,
  kFilteredAsSpam,
  kRecalled,  ///< Graph v1.0 sends it only to clients with Prefer: include-unknown-enum-members
};

/** Graph's enum spelling: `delivered`, `filteredAsSpam`... */
std::string_view GraphStatusName(TraceStatus status);
/** The Reporting Web Service's spelling: `Delivered`, `FilteredAsSpam`... */
std::string_view ReportingStatusName(TraceStatus status);

/** One row: one message to one recipient. API-neutral; each API serializes it its own way. */
struct TraceRecord {
  Micros received = 0;
  std::string trace_id;    ///< GUID, shared by the recipients of one message
  std::string message_id;  ///< `<guid@host>`, shared likewise
  std::string sender;
  std::string recipient;
  std::optional<std::string> subject;  ///< nullopt: null in Reporting, "" in Graph
  JsonEscaping subject_escaping = JsonEscaping::kUtf8;
  std::int64_t size = 0;
  std::string from_ip;  ///< empty: "" in Graph, null in Reporting
  std::string to_ip;    ///< likewise
  TraceStatus status = TraceStatus::kDelivered;
};

struct TraceGeneratorOptions {
  std::size_t records = 0;    ///< exact number of rows produced
  Micros oldest = 0;          ///< earliest received time (inclusive)
  Micros newest = 0;          ///< latest received time (inclusive)
  bool whole_seconds = true;  ///< Graph shows whole seconds; Reporting keeps sub-seconds
  std::uint64_t seed = 1;
};

/**
 * Produces `options.records` rows in ascending received time and calls `sink` for each.
 * About a third of the messages have 2 or 3 recipients (adjacent rows, same trace id,
 * message id and time), and many messages share their second with another.
 * Deterministic for a given seed and time range.
 */
void GenerateTraces(const TraceGeneratorOptions& options,
                    const std::function<void(const TraceRecord&)>& sink);

}  // namespace mtsim
