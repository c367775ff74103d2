#include "tenant.hpp"

#include <algorithm>

#include "json_text.hpp"
#include "trace_generator.hpp"

namespace mtsim {
namespace {

constexpr std::string_view kReportingEntityBase =
    "https://reports.office365.com/ecp/ReportingWebService/Reporting.svc/MessageTrace(";

void AppendGraphRecord(const TraceRecord& r, std::string& out) {
  out += R"({"@odata.type":"#microsoft.graph.exchangeMessageTrace","id":)";
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
  AppendNullableString(
      r.from_ip.empty() ? std::nullopt : std::optional<std::string>(r.from_ip),
      JsonEscaping::kUtf8, out);
  out += R"(,"Size":)";
  out += std::to_string(r.size);
  out += R"(,"MessageTraceId":)";
  AppendJsonString(r.trace_id, JsonEscaping::kUtf8, out);
}

}  // namespace

Tenant::Tenant(const TenantOptions& options) : options_(options) {
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
  GenerateTraces(generator, [&](const TraceRecord& record) {
    times_.push_back(record.received);
    if (graph) {
      AppendGraphRecord(record, arena_);
    } else {
      AppendReportingBody(record, options_.organization, options_.reporting_shape, arena_);
    }
    arena_ += ',';
    offsets_.push_back(arena_.size());
  });

  if (graph) {
    // A Graph record's bytes never vary, so its identity is known before it is served.
    graph_hashes_.reserve(times_.size());
    for (std::size_t i = 0; i < times_.size(); ++i) {
      graph_hashes_.emplace_back(EventHash(Row(i)), static_cast<std::uint32_t>(i));
    }
    std::sort(graph_hashes_.begin(), graph_hashes_.end());
  }
  served_.assign(times_.size(), 0);
  received_.assign(times_.size(), 0);
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

void Tenant::AppendReportingRow(std::size_t index, Micros start, Micros end,
                                std::size_t position, std::string& out) const {
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
  out += Row(index);
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

void Tenant::RecordReceived(const std::vector<std::uint64_t>& hashes) {
  std::lock_guard<std::mutex> lock(ledger_mutex_);
  for (const std::uint64_t hash : hashes) {
    ++received_total_;
    if (const auto index = IndexOfHash(hash)) {
      ++received_[*index];
    } else {
      ++unknown_total_;
      ++unknown_[hash];
    }
  }
}

LedgerStats Tenant::Stats(std::optional<Micros> until, Micros now) const {
  const Micros retention = (options_.api == TraceApi::kGraph ? 90 : 30) * kMicrosPerDay;
  std::lock_guard<std::mutex> lock(ledger_mutex_);
  LedgerStats stats;
  stats.tenant_records = times_.size();
  stats.received_total = received_total_;
  stats.unknown = unknown_total_;
  stats.received_distinct = unknown_.size();
  std::uint64_t expected = 0;
  std::uint64_t missing = 0;
  for (std::size_t i = 0; i < times_.size(); ++i) {
    const bool received = received_[i] > 0;
    stats.served_distinct += served_[i];
    stats.received_distinct += received;
    if (served_[i] && !received) ++stats.served_not_received;
    if (until && times_[i] < *until && times_[i] >= now - retention) {
      ++expected;
      missing += !received;
    }
  }
  if (until) {
    stats.expected = expected;
    stats.missing = missing;
  }
  return stats;
}

}  // namespace mtsim
