#include "tenant.hpp"

#include <algorithm>
#include <limits>

#include "intake_batch.hpp"
#include "json_text.hpp"
#include "publication_delay.hpp"
#include "random.hpp"
#include "trace_generator.hpp"

namespace mtsim {
namespace {

constexpr std::string_view kReportingEntityBase =
    "https://reports.office365.com/ecp/ReportingWebService/Reporting.svc/MessageTrace(";

void AppendGraphRecord(const TraceRecord& r, std::string& out) {
  // v1.0 records carry no @odata.type [LIST]; the beta endpoint adds it (graph_api.cpp).
  out += R"({"id":)";
  AppendJsonString(r.trace_id, JsonEscaping::kUtf8, out);
  out += R"(,"senderAddress":)";
  AppendJsonString(r.sender, JsonEscaping::kUtf8, out);
  out += R"(,"recipientAddress":)";
  AppendJsonString(r.recipient, JsonEscaping::kUtf8, out);
  out += R"(,"messageId":)";
  AppendJsonString(r.message_id, JsonEscaping::kUtf8, out);
  out += R"(,"receivedDateTime":")";
  out += FormatIsoSeconds(r.received);
  out += R"(","subject":)";
  AppendJsonString(r.subject.value_or(""), r.subject_escaping, out);
  out += R"(,"size":)";
  out += std::to_string(r.size);
  out += R"(,"fromIP":)";
  AppendJsonString(r.from_ip, JsonEscaping::kUtf8, out);
  out += R"(,"toIP":)";
  AppendJsonString(r.to_ip, JsonEscaping::kUtf8, out);
  out += R"(,"status":")";
  out += GraphStatusName(r.status);
  out += "\"}";
}

void AppendNullableString(const std::optional<std::string>& value, JsonEscaping escaping,
                          std::string& out) {
  if (value) {
    AppendJsonString(*value, escaping, out);
  } else {
    out += "null";
  }
}

// The window-independent middle of a Reporting row: `"Organization":...,"MessageTraceId":"..."`.
void AppendReportingBody(const TraceRecord& r, const std::string& organization,
                         ReportingShape shape, std::string& out) {
  out += R"("Organization":)";
  AppendJsonString(organization, JsonEscaping::kUtf8, out);
  out += R"(,"MessageId":)";
  AppendJsonString(r.message_id, JsonEscaping::kUtf8, out);
  out += R"(,"Received":")";
  out += shape == ReportingShape::kVerbose ? FormatMsDate(r.received) : FormatIsoTicks(r.received);
  out += R"(","SenderAddress":)";
  AppendJsonString(r.sender, JsonEscaping::kUtf8, out);
  out += R"(,"RecipientAddress":)";
  AppendJsonString(r.recipient, JsonEscaping::kUtf8, out);
  out += R"(,"Subject":)";
  AppendNullableString(r.subject, r.subject_escaping, out);
  out += R"(,"Status":")";
  out += ReportingStatusName(r.status);
  out += R"(","ToIP":)";
  AppendNullableString(r.to_ip.empty() ? std::nullopt : std::optional<std::string>(r.to_ip),
                       JsonEscaping::kUtf8, out);
  out += R"(,"FromIP":)";
  AppendNullableString(r.from_ip.empty() ? std::nullopt : std::optional<std::string>(r.from_ip),
                       JsonEscaping::kUtf8, out);
  out += R"(,"Size":)";
  out += std::to_string(r.size);
  out += R"(,"MessageTraceId":)";
  AppendJsonString(r.trace_id, JsonEscaping::kUtf8, out);
}

}  // namespace

Tenant::Tenant(const TenantOptions& options)
    : options_(options), timed_(options.late_publication || options.future_records) {
  const bool graph = options.api == TraceApi::kGraph;
  times_.reserve(options.records);
  offsets_.reserve(options.records + 1);
  // Rows average about 450 bytes; a little slack avoids copying the whole arena on growth.
  arena_.reserve(options.records * 480);
  offsets_.push_back(0);
  TraceGeneratorOptions generator;
  generator.records = options.records;
  generator.oldest = options.oldest;
  generator.newest = options.newest;
  generator.whole_seconds = graph;
  generator.seed = options.seed;
  const auto append = [&](const TraceRecord& record, std::string& out) {
    if (graph) {
      AppendGraphRecord(record, out);
    } else {
      AppendReportingBody(record, options_.organization, options_.reporting_shape, out);
    }
    out += ',';
  };
  // Delays come from a stream of their own: the same seed gives the same records with or
  // without late publication, and the same delays whatever the status change rate.
  Random delays(options.seed ^ 0x6c6174652d707562ULL);
  pending_offsets_.push_back(0);
  // Poison records, spread evenly; a rejected one sits just after an invalid one.
  const auto evenly = [&](std::size_t count, std::size_t offset) {
    std::vector<std::size_t> rows;
    for (std::size_t k = 1; k <= count && options.records > 0; ++k)
      rows.push_back(std::min(options.records - 1, k * options.records / (count + 1) + offset));
    return rows;
  };
  const std::vector<std::size_t> invalid_rows = evenly(options.invalid_utf8_records, 0);
  const std::vector<std::size_t> rejected_rows = evenly(options.rejected_records, 1);
  const auto has = [](const std::vector<std::size_t>& rows, std::size_t row) {
    return std::find(rows.begin(), rows.end(), row) != rows.end();
  };
  std::vector<std::pair<std::uint64_t, std::uint32_t>> repaired_hashes;
  GenerateTraces(generator, [&](const TraceRecord& generated) {
    const std::size_t row = times_.size();
    TraceRecord poisoned;
    const TraceRecord* chosen = &generated;
    if (has(invalid_rows, row)) {
      poisoned = generated;
      poisoned.subject_escaping = JsonEscaping::kUtf8;
      poisoned.subject = "Scanned invoice \xFF\xFE from the archive";
      if (graph) {
        // The same record as a client sends it once repaired: each stray byte one U+FFFD.
        TraceRecord repaired = poisoned;
        repaired.subject = "Scanned invoice \xEF\xBF\xBD\xEF\xBF\xBD from the archive";
        std::string bytes;
        AppendGraphRecord(repaired, bytes);
        repaired_hashes.emplace_back(EventHash(bytes), static_cast<std::uint32_t>(row));
      }
      chosen = &poisoned;
    } else if (has(rejected_rows, row)) {
      poisoned = generated;
      poisoned.subject = "Quarantine notice " + std::string(kIntakeRejectMarker);
      chosen = &poisoned;
    }
    const TraceRecord& record = *chosen;
    times_.push_back(record.received);
    append(record, arena_);
    offsets_.push_back(arena_.size());
    if (!timed_) return;
    Micros published = record.received;
    Micros final_at = record.received;
    std::int32_t slot = -1;
    if (options.late_publication) {
      published += DrawPublicationDelay(delays, options.delay_scale);
      final_at = published;
      const bool changes = delays.Chance(options.status_change_rate);
      const Micros change_delay = DrawPublicationDelay(delays, options.delay_scale);
      // A record whose final status is pending has no other status to change to.
      if (changes && record.status != TraceStatus::kPending) {
        final_at = published + change_delay;
        slot = static_cast<std::int32_t>(pending_rows_.size());
        pending_rows_.push_back(static_cast<std::uint32_t>(row));
        TraceRecord pending = record;
        pending.status = TraceStatus::kPending;
        append(pending, pending_arena_);
        pending_offsets_.push_back(pending_arena_.size());
      }
    }
    published_at_.push_back(published);
    final_at_.push_back(final_at);
    pending_of_.push_back(slot);
  });

  const std::size_t states = times_.size() + pending_rows_.size();
  if (graph) {
    // A Graph record's bytes never vary, so its identity is known before it is served.
    graph_hashes_.reserve(states);
    for (std::size_t i = 0; i < states; ++i) {
      graph_hashes_.emplace_back(EventHash(StateBytes(static_cast<std::uint32_t>(i))),
                                 static_cast<std::uint32_t>(i));
    }
    graph_hashes_.insert(graph_hashes_.end(), repaired_hashes.begin(), repaired_hashes.end());
    std::sort(graph_hashes_.begin(), graph_hashes_.end());
  }
  served_.assign(states, 0);
  received_.assign(states, 0);
  first_received_.assign(states, 0);
}

std::string_view Tenant::StateBytes(std::uint32_t state) const {
  if (state < times_.size()) return Row(state);
  const std::size_t slot = state - times_.size();
  return std::string_view(pending_arena_)
      .substr(pending_offsets_[slot], pending_offsets_[slot + 1] - 1 - pending_offsets_[slot]);
}

std::size_t Tenant::RowOfState(std::uint32_t state) const {
  return state < times_.size() ? state : pending_rows_[state - times_.size()];
}

std::optional<std::uint32_t> Tenant::PendingState(std::size_t index) const {
  if (pending_of_.empty() || pending_of_[index] < 0) return std::nullopt;
  return static_cast<std::uint32_t>(times_.size() + static_cast<std::size_t>(pending_of_[index]));
}

std::optional<std::uint32_t> Tenant::VisibleState(std::size_t index, Micros at) const {
  if (!timed_) return static_cast<std::uint32_t>(index);
  if (at < published_at_[index]) return std::nullopt;
  if (at < final_at_[index]) return PendingState(index);
  return static_cast<std::uint32_t>(index);
}

std::vector<std::uint32_t> Tenant::VisibleStates(RowRange range, Micros at, std::size_t skip,
                                                 std::size_t limit, bool& more) const {
  std::vector<std::uint32_t> states;
  more = false;
  for (std::size_t i = range.first; i < range.last; ++i) {
    const auto state = VisibleState(i, at);
    if (!state) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    if (states.size() == limit) {
      more = true;
      break;
    }
    states.push_back(*state);
  }
  return states;
}

std::string_view Tenant::Row(std::size_t index) const {
  return std::string_view(arena_).substr(offsets_[index],
                                         offsets_[index + 1] - 1 - offsets_[index]);
}

RowRange Tenant::Find(Micros start, Micros end) const {
  if (end < start) return {};
  const auto first = std::lower_bound(times_.begin(), times_.end(), start);
  const auto last = std::upper_bound(first, times_.end(), end);
  return {static_cast<std::size_t>(first - times_.begin()),
          static_cast<std::size_t>(last - times_.begin())};
}

std::string_view Tenant::GraphRows(RowRange range) const {
  if (range.size() == 0) return {};
  return std::string_view(arena_).substr(offsets_[range.first],
                                         offsets_[range.last] - 1 - offsets_[range.first]);
}

void Tenant::AppendReportingRow(std::size_t index, Micros start, Micros end, std::size_t position,
                                std::string& out) const {
  const std::string position_text = std::to_string(position);
  const bool verbose = options_.reporting_shape == ReportingShape::kVerbose;
  if (verbose) {
    out += R"({"__metadata":{"id":")";
    out += kReportingEntityBase;
    out += position_text;
    out += R"x()","uri":")x";
    out += kReportingEntityBase;
    out += position_text;
    out += R"x()","type":"TenantReporting.MessageTrace"},)x";
  } else {
    out += '{';
  }
  out += StateBytes(static_cast<std::uint32_t>(index));
  out += R"(,"StartDate":")";
  out += verbose ? FormatMsDate(start) : FormatIsoTicks(start) + "Z";
  out += R"(","EndDate":")";
  out += verbose ? FormatMsDate(end) : FormatIsoTicks(end) + "Z";
  out += R"(","Index":)";
  out += position_text;
  out += '}';
}

void Tenant::MarkServed(RowRange range) {
  std::lock_guard<std::mutex> lock(ledger_mutex_);
  std::fill(served_.begin() + static_cast<std::ptrdiff_t>(range.first),
            served_.begin() + static_cast<std::ptrdiff_t>(range.last), 1);
}

void Tenant::MarkServed(const std::vector<ServedRow>& rows) {
  std::lock_guard<std::mutex> lock(ledger_mutex_);
  for (const ServedRow& row : rows) {
    served_[row.index] = 1;
    reporting_hashes_[row.hash] = static_cast<std::uint32_t>(row.index);
  }
}

void Tenant::MarkStatesServed(const std::vector<std::uint32_t>& states) {
  std::lock_guard<std::mutex> lock(ledger_mutex_);
  for (const std::uint32_t state : states) served_[state] = 1;
}

std::optional<std::size_t> Tenant::IndexOfHash(std::uint64_t hash) const {
  if (options_.api == TraceApi::kGraph) {
    const auto it = std::lower_bound(graph_hashes_.begin(), graph_hashes_.end(),
                                     std::make_pair(hash, std::uint32_t{0}));
    if (it != graph_hashes_.end() && it->first == hash) return it->second;
    return std::nullopt;
  }
  const auto it = reporting_hashes_.find(hash);
  if (it != reporting_hashes_.end()) return it->second;
  return std::nullopt;
}

void Tenant::RecordReceived(const std::vector<std::uint64_t>& hashes, Micros at) {
  std::lock_guard<std::mutex> lock(ledger_mutex_);
  for (const std::uint64_t hash : hashes) {
    ++received_total_;
    if (const auto index = IndexOfHash(hash)) {
      if (received_[*index] == 0) first_received_[*index] = at;
      ++received_[*index];
    } else {
      ++unknown_total_;
      ++unknown_[hash];
    }
  }
}

LedgerStats Tenant::Stats(std::optional<Micros> until, Micros now,
                          std::optional<Micros> since) const {
  const Micros retention = (options_.api == TraceApi::kGraph ? 90 : 30) * kMicrosPerDay;
  std::lock_guard<std::mutex> lock(ledger_mutex_);
  LedgerStats stats;
  stats.tenant_records = times_.size();
  stats.received_total = received_total_;
  stats.unknown = unknown_total_;
  stats.received_distinct = unknown_.size();
  for (std::size_t s = 0; s < served_.size(); ++s) {
    const bool received = received_[s] > 0;
    stats.served_distinct += served_[s];
    stats.received_distinct += received;
    if (served_[s] && !received) ++stats.served_not_received;
  }
  if (until) {
    std::uint64_t expected = 0;
    std::uint64_t missing = 0;
    const Micros from =
        std::max(now - retention, since.value_or(std::numeric_limits<Micros>::min()));
    for (std::size_t i = 0; i < times_.size(); ++i) {
      if (times_[i] >= *until || times_[i] < from) continue;
      const auto pending = PendingState(i);
      ++expected;
      missing += received_[i] == 0 && (!pending || received_[*pending] == 0);
    }
    stats.expected = expected;
    stats.missing = missing;
  }
  return stats;
}

PublicationStats Tenant::Publication(std::optional<Micros> since, Micros until, Micros now,
                                     std::optional<double> delay_at_most_minutes) const {
  PublicationStats stats;
  double from = 0;
  for (const double edge : kDelayBucketEdges) {
    stats.by_delay.push_back({from, edge, 0, 0});
    from = edge;
  }
  stats.by_delay.push_back({from, std::numeric_limits<double>::infinity(), 0, 0});
  if (delay_at_most_minutes) {
    stats.within_published = 0;
    stats.within_received = 0;
    stats.within_status_changes_published = 0;
    stats.within_status_changes_received = 0;
  }
  const std::size_t first = static_cast<std::size_t>(
      since ? std::lower_bound(times_.begin(), times_.end(), *since) - times_.begin() : 0);
  const std::size_t last = static_cast<std::size_t>(
      std::lower_bound(times_.begin(), times_.end(), until) - times_.begin());
  const double micros_per_minute = 60.0 * kMicrosPerSecond * options_.delay_scale;
  std::vector<double> freshness;
  const auto fresh = [&](std::uint32_t state, Micros published) {
    if (received_[state] > 0 && first_received_[state] > 0)
      freshness.push_back(
          static_cast<double>(std::max<Micros>(0, first_received_[state] - published)) /
          micros_per_minute);
  };
  std::lock_guard<std::mutex> lock(ledger_mutex_);
  for (std::size_t i = first; i < last; ++i) {
    const auto pending = PendingState(i);
    const Micros final_at = timed_ ? final_at_[i] : times_[i];
    if (timed_) {
      if (pending) fresh(*pending, published_at_[i]);
      fresh(static_cast<std::uint32_t>(i), final_at);
    }
    if (now < final_at) ++stats.unpublished;
    if (pending) {
      stats.received_states += received_[*pending] > 0;
      stats.pending_received += received_[*pending] > 0;
      stats.pending_published += now >= published_at_[i];
      if (now >= final_at) {
        ++stats.status_changes_published;
        stats.status_changes_received += received_[i] > 0;
        stats.stale += received_[i] == 0 && received_[*pending] > 0;
      }
    }
    stats.received_states += received_[i] > 0;
    const auto state = VisibleState(i, now);
    if (!state) continue;
    const bool received = received_[*state] > 0;
    ++stats.published;
    stats.published_received += received;
    Micros published = times_[i];
    if (timed_) published = *state == i ? final_at_[i] : published_at_[i];
    const double delay = static_cast<double>(published - times_[i]) / micros_per_minute;
    for (DelayBucket& bucket : stats.by_delay) {
      if (delay < bucket.to_minutes) {
        ++bucket.published;
        bucket.received += received;
        break;
      }
    }
    if (delay_at_most_minutes && delay <= *delay_at_most_minutes) {
      ++*stats.within_published;
      *stats.within_received += received;
      if (pending && *state == i) {
        ++*stats.within_status_changes_published;
        *stats.within_status_changes_received += received;
      }
    }
  }
  if (!freshness.empty()) {
    std::sort(freshness.begin(), freshness.end());
    const auto at = [&](double share) {
      return freshness[std::min(
          freshness.size() - 1,
          static_cast<std::size_t>(share * static_cast<double>(freshness.size())))];
    };
    stats.freshness_median = at(0.5);
    stats.freshness_p99 = at(0.99);
  }
  return stats;
}

std::uint64_t Tenant::ReceivedAfter(Micros after, std::size_t skip) const {
  const auto first = static_cast<std::size_t>(
      std::lower_bound(times_.begin(), times_.end(), after) - times_.begin());
  std::lock_guard<std::mutex> lock(ledger_mutex_);
  std::uint64_t count = 0;
  for (std::size_t i = first + std::min(skip, times_.size() - first); i < times_.size(); ++i) {
    count += received_[i] > 0;
  }
  return count;
}

}  // namespace mtsim
