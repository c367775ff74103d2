// Late publication: delays, record states, what a query sees at a given time, paging
// snapshots, and the /stats figures the latency-recall measurement reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "http_text.hpp"
#include "json_text.hpp"
#include "publication_delay.hpp"
#include "simulator.hpp"
#include "tenant.hpp"
#include "time_text.hpp"

namespace mtsim {
namespace {

constexpr Micros kNow = 1769004754LL * kMicrosPerSecond;  // 2026-01-21T14:12:34Z
constexpr Micros kMinute = 60 * kMicrosPerSecond;
constexpr const char* kBase = "http://127.0.0.1:1";

TenantOptions LateOptions(TraceApi api, std::size_t records, Micros newest) {
  TenantOptions options;
  options.records = records;
  options.newest = newest;
  options.oldest = newest - 60 * kMinute;
  options.api = api;
  options.seed = 5;
  options.late_publication = true;
  return options;
}

std::string GraphStatus(std::string_view record) { return nlohmann::json::parse(record)["status"]; }

TEST(PublicationDelay, LongTailedSharesWithinTheirRangesAndScaled) {
  Random random(3);
  int short_delays = 0, medium = 0, long_delays = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) {
    const Micros delay = DrawPublicationDelay(random, 1);
    ASSERT_GE(delay, 1 * kMinute);
    ASSERT_LE(delay, 60 * kMinute);
    short_delays += delay < 5 * kMinute;
    medium += delay >= 5 * kMinute && delay < 30 * kMinute;
    long_delays += delay >= 30 * kMinute;
  }
  EXPECT_NEAR(short_delays / double(kDraws), 0.80, 0.01);
  EXPECT_NEAR(medium / double(kDraws), 0.15, 0.01);
  EXPECT_NEAR(long_delays / double(kDraws), 0.05, 0.005);
  Random a(9), b(9);
  EXPECT_EQ(DrawPublicationDelay(a, 0.05), DrawPublicationDelay(b, 1) / 20);
}

TEST(LatePublication, SameRecordsAsWithoutItAndPendingStatesDifferOnlyByStatus) {
  TenantOptions plain = LateOptions(TraceApi::kGraph, 2000, kNow);
  plain.late_publication = false;
  const Tenant on_time(plain);
  const Tenant late(LateOptions(TraceApi::kGraph, 2000, kNow));
  ASSERT_EQ(late.size(), on_time.size());
  ASSERT_TRUE(late.timed());
  EXPECT_FALSE(on_time.timed());
  for (std::size_t i = 0; i < late.size(); ++i) {
    ASSERT_EQ(late.GraphState(static_cast<std::uint32_t>(i)), on_time.GraphRows({i, i + 1}));
  }
  EXPECT_EQ(on_time.state_count(), on_time.size());
  // Pending states are numbered after the rows; each belongs to a row whose final status is
  // not pending, and its bytes are that row's with "status":"pending".
  const std::size_t changing = late.state_count() - late.size();
  EXPECT_NEAR(changing / 2000.0, 0.2 * 0.98, 0.03);
  std::set<std::size_t> rows;
  for (std::size_t state = late.size(); state < late.state_count(); ++state) {
    const std::size_t row = late.RowOfState(static_cast<std::uint32_t>(state));
    EXPECT_TRUE(rows.insert(row).second);
    std::string expected(late.GraphState(static_cast<std::uint32_t>(row)));
    const std::string final_status = GraphStatus(expected);
    ASSERT_NE(final_status, "pending");
    const std::string needle = "\"status\":\"" + final_status + "\"}";
    ASSERT_EQ(expected.compare(expected.size() - needle.size(), needle.size(), needle), 0);
    expected.replace(expected.size() - needle.size(), needle.size(), "\"status\":\"pending\"}");
    ASSERT_EQ(late.GraphState(static_cast<std::uint32_t>(state)), expected);
  }
}

TEST(LatePublication, AQuerySeesEachRecordFromItsPublicationInOneStateAtATime) {
  const Tenant tenant(LateOptions(TraceApi::kGraph, 3000, kNow));
  const RowRange all = tenant.Find(kNow - 2 * 60 * kMinute, kNow);
  ASSERT_EQ(all.size(), 3000u);
  bool more = true;
  // Every delay is at least one minute: nothing is visible a minute before the newest record.
  EXPECT_TRUE(
      tenant.VisibleStates(tenant.Find(kNow - kMinute + 1, kNow), kNow, 0, 10000, more).empty());
  // Long after the last possible change (two delays of at most 60 minutes): final states only.
  const auto final_states = tenant.VisibleStates(all, kNow + 121 * kMinute, 0, 10000, more);
  ASSERT_EQ(final_states.size(), 3000u);
  EXPECT_FALSE(more);
  for (std::size_t i = 0; i < final_states.size(); ++i) EXPECT_EQ(final_states[i], all.first + i);
  // At start-up, records of the last hour are partly visible, some as pending.
  const auto now_states = tenant.VisibleStates(all, kNow, 0, 10000, more);
  std::size_t pending = 0;
  std::set<std::size_t> rows;
  for (const std::uint32_t state : now_states) {
    pending += state >= tenant.size();
    EXPECT_TRUE(rows.insert(tenant.RowOfState(state)).second) << "two states of one row";
  }
  EXPECT_GT(now_states.size(), 1000u);
  EXPECT_LT(now_states.size(), 3000u);
  EXPECT_GT(pending, 50u);
  // Skip and limit page through the same sequence.
  std::vector<std::uint32_t> paged;
  for (std::size_t skip = 0;; skip += 250) {
    const auto page = tenant.VisibleStates(all, kNow, skip, 250, more);
    paged.insert(paged.end(), page.begin(), page.end());
    if (!more) break;
  }
  EXPECT_EQ(paged, now_states);
}

TEST(LatePublication, StatsSayWhatWasPublishedReceivedChangedAndStale) {
  TenantOptions options = LateOptions(TraceApi::kGraph, 2000, kNow);
  options.delay_scale = 0.5;
  Tenant tenant(options);
  const RowRange all = tenant.Find(kNow - 2 * 60 * kMinute, kNow);
  const Micros early = kNow;                // some records pending, some unpublished
  const Micros late = kNow + 61 * kMinute;  // everything final (two delays of at most 30 min)
  bool more = false;
  const auto seen_early = tenant.VisibleStates(all, early, 0, 10000, more);
  // The intake received what a client saw at `early` (pending states included), once each.
  std::vector<std::uint64_t> hashes;
  for (const std::uint32_t state : seen_early)
    hashes.push_back(EventHash(tenant.GraphState(state)));
  tenant.RecordReceived(hashes);

  const PublicationStats at_early = tenant.Publication(std::nullopt, kNow + 1, early, std::nullopt);
  EXPECT_EQ(at_early.published, seen_early.size());
  EXPECT_EQ(at_early.published_received, seen_early.size());
  EXPECT_GT(at_early.unpublished, 0u);
  EXPECT_GT(at_early.pending_published, at_early.status_changes_published);

  const PublicationStats at_late = tenant.Publication(std::nullopt, kNow + 1, late, 30.0);
  EXPECT_EQ(at_late.published, 2000u);
  EXPECT_EQ(at_late.unpublished, 0u);
  EXPECT_EQ(at_late.received_states, seen_early.size());
  EXPECT_GT(at_late.status_changes_published, 200u);
  EXPECT_EQ(at_late.pending_published, at_late.status_changes_published);
  // Records seen as pending were never received in their final state: stale, and missed.
  std::size_t pending_seen = 0;
  for (const std::uint32_t state : seen_early) pending_seen += state >= tenant.size();
  EXPECT_GT(pending_seen, 0u);
  EXPECT_EQ(at_late.pending_received, pending_seen);
  EXPECT_EQ(at_late.stale, pending_seen);
  EXPECT_EQ(at_late.published_received, seen_early.size() - pending_seen);
  // Buckets (unscaled minutes) add up to the published states; nothing is under a minute late;
  // with two delays, some final states are later than 60 minutes.
  std::uint64_t bucket_published = 0, bucket_received = 0;
  for (const DelayBucket& bucket : at_late.by_delay) {
    bucket_published += bucket.published;
    bucket_received += bucket.received;
  }
  EXPECT_EQ(bucket_published, 2000u);
  EXPECT_EQ(bucket_received, at_late.published_received);
  EXPECT_EQ(at_late.by_delay.front().published, 0u);
  EXPECT_GT(at_late.by_delay[6].published + at_late.by_delay[7].published, 0u);  // 60-120
  // within_*: states published at most 30 unscaled minutes late.
  std::uint64_t within = 0;
  for (const DelayBucket& bucket : at_late.by_delay)
    within += bucket.to_minutes <= 30 ? bucket.published : 0;
  EXPECT_EQ(*at_late.within_published, within);
  EXPECT_GT(*at_late.within_status_changes_published, 0u);
  EXPECT_LT(*at_late.within_status_changes_published, at_late.status_changes_published);
  EXPECT_LE(*at_late.within_status_changes_received, at_late.status_changes_received);
  // Duplicates stay exact-bytes duplicates: a second copy of one pending state is one.
  tenant.RecordReceived({hashes.front()});
  const LedgerStats ledger = tenant.Stats(kNow + 1, late);
  EXPECT_EQ(ledger.received_total - ledger.received_distinct, 1u);
  EXPECT_EQ(ledger.missing, 2000u - seen_early.size());
}

TEST(LatePublication, FreshnessRunsFromPublicationToFirstReceipt) {
  TenantOptions options = LateOptions(TraceApi::kGraph, 2000, kNow);
  Tenant tenant(options);
  const RowRange all = tenant.Find(kNow - 2 * 60 * kMinute, kNow);
  bool more = false;
  const auto seen = tenant.VisibleStates(all, kNow, 0, 10000, more);
  ASSERT_GT(seen.size(), 100u);
  std::vector<std::uint64_t> hashes;
  for (const std::uint32_t state : seen) hashes.push_back(EventHash(tenant.GraphState(state)));
  EXPECT_FALSE(tenant.Publication(std::nullopt, kNow + 1, kNow, std::nullopt).freshness_median)
      << "nothing received yet";
  // Received 10 minutes after `kNow`, when every one of them was visible: at least 10 minutes
  // fresh each; a second receipt later changes nothing.
  tenant.RecordReceived(hashes, kNow + 10 * kMinute);
  tenant.RecordReceived(hashes, kNow + 50 * kMinute);
  const PublicationStats stats = tenant.Publication(std::nullopt, kNow + 1, kNow, std::nullopt);
  ASSERT_TRUE(stats.freshness_median && stats.freshness_p99);
  EXPECT_GE(*stats.freshness_median, 10.0);
  EXPECT_GE(*stats.freshness_p99, *stats.freshness_median);
  EXPECT_LT(*stats.freshness_p99, 10.0 + 120.0);
}

Request Get(const std::string& target, const std::string& bearer = "") {
  Request request;
  request.method = "GET";
  const size_t question = target.find('?');
  request.raw_path = target.substr(0, question);
  request.raw_query = question == std::string::npos ? "" : target.substr(question + 1);
  request.path = PercentDecode(request.raw_path, false);
  if (!bearer.empty()) request.headers["authorization"] = bearer;
  request.headers["prefer"] = "include-unknown-enum-members";  // as the trigger asks
  return request;
}

std::string GraphBearer(Simulator& simulator) {
  Request request;
  request.method = "POST";
  request.path = request.raw_path = "/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token";
  request.body =
      "grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555"
      "&client_secret=sim-secret&scope=" +
      PercentEncode("https://graph.microsoft.com/.default");
  const Reply reply = simulator.Handle(request);
  return "Bearer " + nlohmann::json::parse(reply.body)["access_token"].get<std::string>();
}

TEST(LatePublication, GraphPagesShowTheSnapshotOfTheFirstPageCarriedInTheSkipToken) {
  const Micros now = NowMicros();
  Tenant tenant(LateOptions(TraceApi::kGraph, 3000, now));
  Simulator simulator(SimulatorOptions{}, tenant, kBase);
  const std::string bearer = GraphBearer(simulator);
  const Micros start = now - 61 * kMinute;
  std::string target = "/v1.0/admin/exchange/tracing/messageTraces?$filter=" +
                       PercentEncode("receivedDateTime ge " + FormatIsoSeconds(start) +
                                     " and receivedDateTime le " + FormatIsoSeconds(now)) +
                       "&$top=300";
  std::vector<std::string> records;
  std::set<std::string> snapshots;
  while (!target.empty()) {
    const Reply reply = simulator.Handle(Get(target, bearer));
    ASSERT_EQ(reply.status, 200) << reply.body;
    const nlohmann::json page = nlohmann::json::parse(reply.body);
    for (const auto& record : page["value"]) records.push_back(record.dump());
    target.clear();
    if (page.contains("@odata.nextLink")) {
      const std::string link = page["@odata.nextLink"];
      const std::string token = link.substr(link.find("$skiptoken=") + 11);
      snapshots.insert(token.substr(token.rfind('.') + 1));
      target = link.substr(std::string(kBase).size());
    }
  }
  ASSERT_EQ(snapshots.size(), 1u) << "every link carries the first page's time";
  EXPECT_EQ(nlohmann::json::parse(simulator.Handle(Get("/stats")).body)["graph_records_served"],
            records.size());
  const Micros snapshot = std::stoll(*snapshots.begin());
  bool more = false;
  const auto expected = tenant.VisibleStates(tenant.Find(start, now), snapshot, 0, 100000, more);
  ASSERT_EQ(records.size(), expected.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i], nlohmann::json::parse(tenant.GraphState(expected[i])).dump()) << i;
  }
  // A pinned time never reveals the future; a bad one is refused.
  const std::string first = "/v1.0/admin/exchange/tracing/messageTraces?$filter=" +
                            PercentEncode("receivedDateTime ge " + FormatIsoSeconds(start) +
                                          " and receivedDateTime le " + FormatIsoSeconds(now)) +
                            "&$top=300";
  const Reply page1 = simulator.Handle(Get(first, bearer));
  const std::string link = nlohmann::json::parse(page1.body)["@odata.nextLink"];
  const std::string epoch_offset = link.substr(link.find("$skiptoken=") + 11);
  const std::string prefix = epoch_offset.substr(0, epoch_offset.rfind('.'));
  const std::string path = link.substr(std::string(kBase).size(),
                                       link.find("$skiptoken=") + 11 - std::string(kBase).size());
  EXPECT_EQ(simulator.Handle(Get(path + prefix + ".x1", bearer)).status, 400);
  const Reply future =
      simulator.Handle(Get(path + prefix + "." + std::to_string(now + 200 * kMinute), bearer));
  ASSERT_EQ(future.status, 200);
  std::set<std::string> visible_now;
  for (const std::uint32_t state :
       tenant.VisibleStates(tenant.Find(start, now), NowMicros(), 0, 100000, more)) {
    visible_now.insert(nlohmann::json::parse(tenant.GraphState(state)).dump());
  }
  const auto future_page = nlohmann::json::parse(future.body)["value"];
  EXPECT_EQ(future_page.size(), 300u);
  for (const auto& record : future_page)
    EXPECT_EQ(visible_now.count(record.dump()), 1u) << record.dump();
  EXPECT_EQ(simulator.Handle(Get(path + "1.300." + std::to_string(now), bearer)).status, 400);
}

TEST(LatePublication, ReportingServesPendingRowsAndPagesFromTheFirstPagesSnapshot) {
  const Micros now = NowMicros();
  Tenant tenant(LateOptions(TraceApi::kReporting, 3000, now));
  SimulatorOptions options;
  options.reporting_page = 400;
  options.reporting_next_link = false;
  Simulator simulator(options, tenant, kBase);
  const std::string basic = "Basic cmVwb3J0ZXJAY29udG9zby5vbm1pY3Jvc29mdC5jb206c2ltLXBhc3N3b3Jk";
  const Micros start = now - 61 * kMinute;
  const std::string target =
      "/ecp/reportingwebservice/reporting.svc/MessageTrace?$format=json&$filter=" +
      PercentEncode("StartDate eq datetime'" + FormatIsoMillis(start) +
                    "' and EndDate eq datetime'" + FormatIsoMillis(now) + "'");
  bool more = false;
  const std::size_t before =
      tenant.VisibleStates(tenant.Find(start, now), NowMicros(), 0, 100000, more).size();
  std::vector<nlohmann::json> rows;
  std::size_t pages = 0;
  for (std::size_t offset = 0;; offset += 400) {
    const std::string url = offset == 0 ? target : target + "&$skiptoken=" + std::to_string(offset);
    const Reply reply = simulator.Handle(Get(url, basic));
    ASSERT_EQ(reply.status, 200) << reply.body;
    const auto results = nlohmann::json::parse(reply.body)["d"]["results"];
    for (const auto& row : results) rows.push_back(row);
    ++pages;
    if (results.size() < 400) break;
  }
  const std::size_t after =
      tenant.VisibleStates(tenant.Find(start, now), NowMicros(), 0, 100000, more).size();
  EXPECT_GT(pages, 1u);
  EXPECT_GE(rows.size(), before);
  EXPECT_LE(rows.size(), after);
  std::set<std::string> keys;
  std::size_t pending = 0;
  for (const auto& row : rows) {
    EXPECT_TRUE(keys.insert(row["MessageTraceId"].get<std::string>() +
                            row["RecipientAddress"].get<std::string>())
                    .second);
    pending += row["Status"] == "Pending";
  }
  EXPECT_GT(pending, 0u);
}

TEST(LatePublication, StatsAnswerTheMeasurementsQuestions) {
  const Micros now = NowMicros();
  Tenant tenant(LateOptions(TraceApi::kGraph, 500, now));
  Simulator simulator(SimulatorOptions{}, tenant, kBase);
  const Reply reply =
      simulator.Handle(Get("/stats?since=" + FormatIsoSeconds(now - 30 * kMinute) +
                           "&until=" + FormatIsoSeconds(now) + "&delay_at_most=60"));
  ASSERT_EQ(reply.status, 200) << reply.body;
  const nlohmann::json stats = nlohmann::json::parse(reply.body);
  for (const char* field :
       {"published", "published_received", "received_states", "recall", "unpublished",
        "status_changes_published", "status_changes_received", "pending_published",
        "pending_received", "stale", "by_delay", "within_delay", "elapsed_seconds", "delay_scale",
        "expected", "missing", "duplicates"}) {
    EXPECT_TRUE(stats.contains(field)) << field;
  }
  EXPECT_EQ(stats["published_received"], 0);
  EXPECT_GT(stats["unpublished"].get<int>(), 0);
  EXPECT_LT(stats["expected"].get<int>(), 500);  // since: only the last 30 minutes
  EXPECT_EQ(stats["by_delay"].size(), kDelayBuckets);
  EXPECT_FALSE(stats["by_delay"].back().contains("to_minutes"));
  EXPECT_EQ(
      simulator.Handle(Get("/stats?until=" + FormatIsoSeconds(now) + "&delay_at_most=x")).status,
      400);
  EXPECT_EQ(simulator.Handle(Get("/stats?since=yesterday")).status, 400);
  // Without late publication, /stats keeps its fields.
  TenantOptions plain = LateOptions(TraceApi::kGraph, 10, now - 2 * kMinute);
  plain.late_publication = false;
  Tenant on_time(plain);
  Simulator plain_simulator(SimulatorOptions{}, on_time, kBase);
  const nlohmann::json plain_stats = nlohmann::json::parse(
      plain_simulator.Handle(Get("/stats?until=" + FormatIsoSeconds(now))).body);
  EXPECT_FALSE(plain_stats.contains("published"));
  EXPECT_EQ(plain_stats["expected"], 10);
}

TEST(FutureRecords, AreVisibleOnlyOnceTheirTimeHasPassed) {
  const Micros now = NowMicros();
  TenantOptions options;
  options.records = 1000;
  options.oldest = now - 10 * kMinute;
  options.newest = now + 10 * kMinute;
  options.future_records = true;
  Tenant tenant(options);
  ASSERT_TRUE(tenant.timed());
  bool more = false;
  const RowRange all = tenant.Find(options.oldest, options.newest);
  const auto visible = tenant.VisibleStates(all, now, 0, 10000, more);
  const RowRange past = tenant.Find(options.oldest, now);
  EXPECT_EQ(visible.size(), past.size());
  EXPECT_GT(visible.size(), 300u);
  EXPECT_LT(visible.size(), 700u);
  EXPECT_EQ(tenant.VisibleStates(all, options.newest, 0, 10000, more).size(), 1000u);
}

}  // namespace
}  // namespace mtsim
