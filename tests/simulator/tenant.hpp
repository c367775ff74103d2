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
  /// Each record becomes visible a drawn delay after its receivedDateTime (see
  /// DrawPublicationDelay), and some first appear as pending and change status once.
  bool late_publication = false;
  double delay_scale = 1;           ///< late: multiplies every publication delay
  double status_change_rate = 0.2;  ///< late: share of records first published as pending
  /// Some records lie after start-up: each is visible only once its time has passed.
  bool future_records = false;
  /// Poison records, spread evenly over the rows: their subject holds invalid UTF-8 (0xFF 0xFE;
  /// Graph also knows them once the two bytes are replaced by U+FFFD each, as a client repairs).
  std::size_t invalid_utf8_records = 0;
  /// Records whose subject holds kIntakeRejectMarker (refused by the intake with --intake-rejects).
  std::size_t rejected_records = 0;
};

/** Late publication: published and received record states by publication delay. */
struct DelayBucket {
  double from_minutes = 0;  ///< unscaled delay, inclusive
  double to_minutes = 0;    ///< exclusive; infinity for the last bucket
  std::uint64_t published = 0;
  std::uint64_t received = 0;
};

/**
 * Late publication, over the records whose receivedDateTime lies in [since, until): what a
 * client could have collected by `now` and what the intake received. A record has one state,
 * or two when its status changes (pending, then final); the state "visible now" is the one a
 * query at `now` returns.
 */
struct PublicationStats {
  std::uint64_t published = 0;                 ///< records with a state visible now
  std::uint64_t published_received = 0;        ///< of those, the visible state was received
  std::uint64_t received_states = 0;           ///< distinct states received (pending ones included)
  std::uint64_t unpublished = 0;               ///< records whose final state is not visible yet
  std::uint64_t status_changes_published = 0;  ///< records whose final status replaced pending
  std::uint64_t status_changes_received = 0;   ///< of those, the final state was received
  std::uint64_t pending_published = 0;         ///< pending states that were visible at some point
  std::uint64_t pending_received = 0;          ///< pending states received
  std::uint64_t stale = 0;            ///< status changed, final not received, pending received
  std::vector<DelayBucket> by_delay;  ///< visible states by their publication delay
  /// Freshness, in unscaled minutes, of the states received (pending ones included): from a
  /// state's publication to its first receipt by the intake. nullopt when none was received.
  std::optional<double> freshness_median;
  std::optional<double> freshness_p99;
  /// With a delay bound: visible states published at most that late, and received; status
  /// changes whose final state was published at most that late, and received.
  std::optional<std::uint64_t> within_published;
  std::optional<std::uint64_t> within_received;
  std::optional<std::uint64_t> within_status_changes_published;
  std::optional<std::uint64_t> within_status_changes_received;
};

/** Half-open range of row indices. */
struct RowRange {
  std::size_t first = 0;
  std::size_t last = 0;
  std::size_t size() const { return last - first; }
};

/** A Reporting row as served: which record state (see Tenant), and the hash of the exact
 *  bytes sent. */
struct ServedRow {
  std::size_t index;
  std::uint64_t hash;
};

/** What the intake received compared with what the tenant holds and served. */
struct LedgerStats {
  std::uint64_t tenant_records = 0;
  std::uint64_t served_distinct = 0;      ///< record states served at least once
  std::uint64_t received_total = 0;       ///< events received, duplicates included
  std::uint64_t received_distinct = 0;    ///< distinct events (states + distinct unknowns)
  std::uint64_t unknown = 0;              ///< received events matching no served record
  std::uint64_t served_not_received = 0;  ///< served at least once, never received
  std::optional<std::uint64_t> expected;  ///< with `until`: records the client should have
  std::optional<std::uint64_t> missing;   ///< of `expected`, never received in any state
};

/**
 * The simulated tenant: every message-trace row, generated once at start-up, sorted by
 * received time and pre-serialized, plus the ledger of what was served and received.
 * Rows are immutable after construction (read without locking); the ledger is
 * thread-safe.
 *
 * Record states: state `i < size()` is row i as generated (its final status); with late
 * publication, a row whose status changes also has a pending state, numbered from size(). A
 * timed tenant (late publication or records in the future) shows a row only from its
 * publication time: its pending state until the change, then its final state.
 */
class Tenant final {
 public:
  explicit Tenant(const TenantOptions& options);
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  TraceApi api() const { return options_.api; }
  /** Rows have publication times: queries must go through VisibleStates. */
  bool timed() const { return timed_; }
  bool late_publication() const { return options_.late_publication; }
  double delay_scale() const { return options_.delay_scale; }
  ReportingShape reporting_shape() const { return options_.reporting_shape; }
  std::size_t size() const { return times_.size(); }
  /** Record states: size() final states, then the pending states of rows that change. */
  std::size_t state_count() const { return times_.size() + pending_rows_.size(); }
  /** Total bytes of serialized rows (without per-window parts). */
  std::size_t serialized_bytes() const { return arena_.size() - times_.size(); }

  /** The rows whose received time lies in [start, end] (both inclusive). */
  RowRange Find(Micros start, Micros end) const;

  /** Graph: rows of `range` as compact JSON objects joined by commas (one memory copy). */
  std::string_view GraphRows(RowRange range) const;

  /**
   * Timed tenants: the states visible at `at` of the rows in `range`, in row order, after
   * skipping the first `skip` of them, at most `limit`. `more` tells whether visible states
   * remain after those returned.
   */
  std::vector<std::uint32_t> VisibleStates(RowRange range, Micros at, std::size_t skip,
                                           std::size_t limit, bool& more) const;
  /** The row a state belongs to. */
  std::size_t RowOfState(std::uint32_t state) const;
  /** Graph: a state's compact JSON object. */
  std::string_view GraphState(std::uint32_t state) const { return StateBytes(state); }

  /**
   * Reporting: appends state `index` (a row's final state when index < size()) as served for
   * the window [start, end] at `position` within that window's results (`Index` and the
   * `__metadata` URIs). Same arguments, same bytes.
   */
  void AppendReportingRow(std::size_t index, Micros start, Micros end, std::size_t position,
                          std::string& out) const;

  /** Graph: marks `range` as served. */
  void MarkServed(RowRange range);
  /** Reporting: marks rows as served and remembers the hash of their bytes. */
  void MarkServed(const std::vector<ServedRow>& rows);
  /** Graph, timed tenants: marks states as served. */
  void MarkStatesServed(const std::vector<std::uint32_t>& states);

  /** Counts received events, given the hashes of their exact bytes (see EventHash), received
   *  at `at` (for the freshness figures; a state's first receipt counts). */
  void RecordReceived(const std::vector<std::uint64_t>& hashes, Micros at = 0);

  /**
   * Ledger figures. With `until`, also `expected` (records received before `until` and
   * still within the API's retention at `now`: 30 days Reporting, 90 days Graph) and
   * `missing`.
   */
  LedgerStats Stats(std::optional<Micros> until, Micros now,
                    std::optional<Micros> since = std::nullopt) const;

  /**
   * Late publication figures for rows with receivedDateTime in [since, until), as of `now`.
   * `delay_at_most_minutes` (unscaled minutes) adds the within_* figures.
   */
  PublicationStats Publication(std::optional<Micros> since, Micros until, Micros now,
                               std::optional<double> delay_at_most_minutes) const;

  /**
   * Records received at least once among those received at or after `after`, in time order,
   * past the first `skip` of them: what a client holding the position (after, skip) has
   * already delivered beyond it.
   */
  std::uint64_t ReceivedAfter(Micros after, std::size_t skip) const;

 private:
  std::string_view Row(std::size_t index) const;
  std::string_view StateBytes(std::uint32_t state) const;
  std::optional<std::size_t> IndexOfHash(std::uint64_t hash) const;  // ledger lock held
  /** The pending state of row `index`, or nullopt when its status never changes. */
  std::optional<std::uint32_t> PendingState(std::size_t index) const;
  /** Timed tenants: the state of row `index` visible at `at`, or nullopt before publication. */
  std::optional<std::uint32_t> VisibleState(std::size_t index, Micros at) const;
  void DrawPublication(std::uint64_t seed);

  TenantOptions options_;
  std::vector<Micros> times_;  // ascending
  std::string arena_;          // row i at [offsets_[i], offsets_[i + 1] - 1), then ','
  std::vector<std::uint64_t> offsets_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> graph_hashes_;  // sorted by hash

  // Timed tenants only (empty otherwise).
  bool timed_ = false;
  std::vector<Micros> published_at_;  // row i first visible (pending or final state)
  std::vector<Micros> final_at_;      // row i's final state visible (= published_at_ if no change)
  std::vector<std::int32_t> pending_of_;     // row -> pending slot, or -1
  std::vector<std::uint32_t> pending_rows_;  // pending slot -> row
  std::string pending_arena_;  // pending state of slot s at [pending_offsets_[s], [s + 1] - 1)
  std::vector<std::uint64_t> pending_offsets_;

  mutable std::mutex ledger_mutex_;
  std::vector<std::uint8_t> served_;     // per state
  std::vector<std::uint32_t> received_;  // per state
  std::vector<Micros> first_received_;   // per state: when first received (0: not, or unknown)
  std::unordered_map<std::uint64_t, std::uint32_t> reporting_hashes_;  // served bytes -> row
  std::unordered_map<std::uint64_t, std::uint32_t> unknown_;           // hash -> count
  std::uint64_t received_total_ = 0;
  std::uint64_t unknown_total_ = 0;
};

}  // namespace mtsim
