#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "time_text.hpp"

namespace mtsim {

/** Which API holds the tenant's records; the other one answers with no rows. */
enum class TraceApi { kGraph, kReporting };

/** The two JSON shapes seen from the Reporting Web Service. */
enum class ReportingShape { kVerbose, kLight };

struct TenantOptions {
  std::size_t records = 10000;
  Micros oldest = 0;  ///< earliest receivedDateTime (inclusive)
  Micros newest = 0;  ///< latest receivedDateTime (inclusive)
  std::uint64_t seed = 1;
  TraceApi api = TraceApi::kGraph;
  ReportingShape reporting_shape = ReportingShape::kVerbose;
  std::string organization = "contoso.onmicrosoft.com";  ///< Reporting `Organization`
};

/** Half-open range of row indices. */
struct RowRange {
  std::size_t first = 0;
  std::size_t last = 0;
  std::size_t size() const { return last - first; }
};

/** A Reporting row as served: which record, and the hash of the exact bytes sent. */
struct ServedRow {
  std::size_t index;
  std::uint64_t hash;
};

/** What the intake received compared with what the tenant holds and served. */
struct LedgerStats {
  std::uint64_t tenant_records = 0;
  std::uint64_t served_distinct = 0;      ///< records served at least once
  std::uint64_t received_total = 0;       ///< events received, duplicates included
  std::uint64_t received_distinct = 0;    ///< distinct events (records + distinct unknowns)
  std::uint64_t unknown = 0;              ///< received events matching no served record
  std::uint64_t served_not_received = 0;  ///< served at least once, never received
  std::optional<std::uint64_t> expected;  ///< with `until`: records the client should have
  std::optional<std::uint64_t> missing;   ///< of `expected`, never received
};

/**
 * The simulated tenant: every message-trace row, generated once at start-up, sorted by
 * received time and pre-serialized, plus the ledger of what was served and received.
 * Rows are immutable after construction (read without locking); the ledger is
 * thread-safe.
 */
class Tenant final {
 public:
  explicit Tenant(const TenantOptions& options);
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  TraceApi api() const { return options_.api; }
  ReportingShape reporting_shape() const { return options_.reporting_shape; }
  std::size_t size() const { return times_.size(); }
  /** Total bytes of serialized rows (without per-window parts). */
  std::size_t serialized_bytes() const { return arena_.size() - times_.size(); }

  /** The rows whose received time lies in [start, end] (both inclusive). */
  RowRange Find(Micros start, Micros end) const;

  /** Graph: rows of `range` as compact JSON objects joined by commas (one memory copy). */
  std::string_view GraphRows(RowRange range) const;

  /**
   * Reporting: appends row `index` as served for the window [start, end] at `position`
   * within that window's results (`Index` and the `__metadata` URIs). Same arguments, same
   * bytes.
   */
  void AppendReportingRow(std::size_t index, Micros start, Micros end, std::size_t position,
                          std::string& out) const;

  /** Graph: marks `range` as served. */
  void MarkServed(RowRange range);
  /** Reporting: marks rows as served and remembers the hash of their bytes. */
  void MarkServed(const std::vector<ServedRow>& rows);

  /** Counts received events, given the hashes of their exact bytes (see EventHash). */
  void RecordReceived(const std::vector<std::uint64_t>& hashes);

  /**
   * Ledger figures. With `until`, also `expected` (records received before `until` and
   * still within the API's retention at `now`: 30 days Reporting, 90 days Graph) and
   * `missing`.
   */
  LedgerStats Stats(std::optional<Micros> until, Micros now) const;

 private:
  std::string_view Row(std::size_t index) const;
  std::optional<std::size_t> IndexOfHash(std::uint64_t hash) const;  // ledger lock held

  TenantOptions options_;
  std::vector<Micros> times_;          // ascending
  std::string arena_;                  // row i at [offsets_[i], offsets_[i + 1] - 1), then ','
  std::vector<std::uint64_t> offsets_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> graph_hashes_;  // sorted by hash

  mutable std::mutex ledger_mutex_;
  std::vector<std::uint8_t> served_;
  std::vector<std::uint32_t> received_;
  std::unordered_map<std::uint64_t, std::uint32_t> reporting_hashes_;  // served bytes -> row
  std::unordered_map<std::uint64_t, std::uint32_t> unknown_;           // hash -> count
  std::uint64_t received_total_ = 0;
  std::uint64_t unknown_total_ = 0;
};

}  // namespace mtsim
