#include "tenant.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "json_text.hpp"

namespace mtsim {
namespace {

constexpr Micros kNow = 1769004754LL * kMicrosPerSecond;  // 2026-01-21T14:12:34Z

TenantOptions Options(TraceApi api, std::size_t records) {
  TenantOptions options;
  options.records = records;
  options.oldest = kNow - 3 * kMicrosPerDay;
  options.newest = kNow - 5 * 60 * kMicrosPerSecond;
  options.api = api;
  return options;
}

TEST(Tenant, GraphRowsAreCompactJsonInGraphsFieldOrderAndTimeOrder) {
  const Tenant tenant(Options(TraceApi::kGraph, 3000));
  ASSERT_EQ(tenant.size(), 3000u);
  const RowRange all = tenant.Find(kNow - 4 * kMicrosPerDay, kNow);
  ASSERT_EQ(all.size(), 3000u);
  const nlohmann::ordered_json rows =
      nlohmann::ordered_json::parse("[" + std::string(tenant.GraphRows(all)) + "]");
  ASSERT_EQ(rows.size(), 3000u);
  // v1.0's sample has no per-record @odata.type [LIST] (beta's has, added when served).
  const std::vector<std::string> keys = {
      "id",      "senderAddress", "recipientAddress", "messageId", "receivedDateTime",
      "subject", "size",          "fromIP",           "toIP",      "status"};
  std::string previous_time;
  std::map<std::string, int> recipients_per_id;
  double bytes = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<std::string> row_keys;
    for (const auto& item : rows[i].items()) row_keys.push_back(item.key());
    ASSERT_EQ(row_keys, keys) << i;
    const std::string time = rows[i]["receivedDateTime"];
    EXPECT_LE(previous_time, time);
    previous_time = time;
    ++recipients_per_id[rows[i]["id"]];
    bytes += static_cast<double>(tenant.GraphRows({i, i + 1}).size());
  }
  int multi = 0;
  for (const auto& [id, count] : recipients_per_id) multi += count > 1;
  EXPECT_GT(multi, static_cast<int>(recipients_per_id.size()) / 5);
  // About 450 bytes with a per-record @odata.type (beta, samples/), 56 fewer without (v1.0).
  EXPECT_NEAR(bytes / 3000, 394, 40);
}

TEST(Tenant, FindIsInclusiveAtBothEnds) {
  const Tenant tenant(Options(TraceApi::kGraph, 500));
  const RowRange all = tenant.Find(kNow - 4 * kMicrosPerDay, kNow);
  const nlohmann::json rows = nlohmann::json::parse("[" + std::string(tenant.GraphRows(all)) + "]");
  const Micros t = *ParseIsoTime(rows[250]["receivedDateTime"].get<std::string>());
  const RowRange exact = tenant.Find(t, t);
  ASSERT_GE(exact.size(), 1u);
  EXPECT_LE(exact.first, 250u);
  EXPECT_GT(exact.last, 250u);
  for (std::size_t i = exact.first; i < exact.last; ++i) {
    EXPECT_EQ(rows[i]["receivedDateTime"], rows[250]["receivedDateTime"]);
  }
  EXPECT_EQ(tenant.Find(t, t - 1).size(), 0u);
}

TEST(Tenant, SameSeedSameBytes) {
  const Tenant a(Options(TraceApi::kGraph, 1000));
  const Tenant b(Options(TraceApi::kGraph, 1000));
  EXPECT_EQ(a.GraphRows({0, 1000}), b.GraphRows({0, 1000}));
  TenantOptions other = Options(TraceApi::kGraph, 1000);
  other.seed = 2;
  EXPECT_NE(a.GraphRows({0, 1000}), Tenant(other).GraphRows({0, 1000}));
}

TEST(Tenant, LedgerMatchesReceivedBytesWithServedRecords) {
  Tenant tenant(Options(TraceApi::kGraph, 100));
  tenant.MarkServed(RowRange{0, 60});
  std::vector<std::uint64_t> hashes;
  for (std::size_t i = 0; i < 50; ++i) hashes.push_back(EventHash(tenant.GraphRows({i, i + 1})));
  hashes.push_back(hashes.front());                       // a duplicate
  hashes.push_back(EventHash("{\"not\":\"a record\"}"));  // unknown
  tenant.RecordReceived(hashes);
  const LedgerStats stats = tenant.Stats(kNow, kNow);
  EXPECT_EQ(stats.tenant_records, 100u);
  EXPECT_EQ(stats.served_distinct, 60u);
  EXPECT_EQ(stats.received_total, 52u);
  EXPECT_EQ(stats.received_distinct, 51u);
  EXPECT_EQ(stats.unknown, 1u);
  EXPECT_EQ(stats.served_not_received, 10u);
  EXPECT_EQ(stats.expected, 100u);
  EXPECT_EQ(stats.missing, 50u);
  EXPECT_FALSE(tenant.Stats(std::nullopt, kNow).expected);
}

TEST(Tenant, ReportingRowsDependOnTheWindowAndAreStableForIt) {
  for (const ReportingShape shape : {ReportingShape::kVerbose, ReportingShape::kLight}) {
    TenantOptions options = Options(TraceApi::kReporting, 2000);
    options.reporting_shape = shape;
    Tenant tenant(options);
    const Micros start = kNow - kMicrosPerDay;
    std::string a, b, c;
    tenant.AppendReportingRow(7, start, kNow, 3, a);
    tenant.AppendReportingRow(7, start, kNow, 3, b);
    tenant.AppendReportingRow(7, start + 1000, kNow, 3, c);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    const nlohmann::json row = nlohmann::json::parse(a);
    EXPECT_EQ(row["Index"], 3);
    if (shape == ReportingShape::kVerbose) {
      EXPECT_EQ(row["__metadata"]["type"], "TenantReporting.MessageTrace");
      EXPECT_EQ(row["StartDate"], FormatMsDate(start));
      double bytes = 0;
      for (std::size_t i = 0; i < tenant.size(); ++i) {
        std::string out;
        tenant.AppendReportingRow(i, start, kNow, i, out);
        bytes += static_cast<double>(out.size());
      }
      EXPECT_NEAR(bytes / static_cast<double>(tenant.size()), 765, 60);
    } else {
      EXPECT_FALSE(row.contains("__metadata"));
      EXPECT_EQ(row["EndDate"], FormatIsoTicks(kNow) + "Z");
      EXPECT_EQ(row["Received"].get<std::string>().size(), 27u);
    }
    // Served bytes become the row's identity on the intake side.
    tenant.MarkServed(std::vector<ServedRow>{{7, EventHash(a)}});
    tenant.RecordReceived({EventHash(a), EventHash(c)});
    const LedgerStats stats = tenant.Stats(std::nullopt, kNow);
    EXPECT_EQ(stats.received_distinct, 2u);
    EXPECT_EQ(stats.unknown, 1u);
    EXPECT_EQ(stats.served_not_received, 0u);
  }
}

}  // namespace
}  // namespace mtsim
