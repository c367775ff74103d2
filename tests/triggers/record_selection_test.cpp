#include "record_selection.hpp"

#include <gtest/gtest.h>

#include "fake_stores.hpp"
#include "record_key.hpp"
#include "sekoia/time_format.hpp"

namespace message_trace {
namespace {

using sekoia::TimePoint;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint At(const char* iso) { return *sekoia::ParseIso8601(iso); }

std::int64_t Unix(TimePoint time) {
  return std::chrono::duration_cast<seconds>(time.time_since_epoch()).count();
}

// A page whose records are `raws`, each with a date (or none) and a key: the records point into
// the page's body, as a source's do.
struct PageBuilder {
  struct Row {
    std::string raw;
    std::optional<TimePoint> received;
    std::uint64_t key;
  };
  std::vector<Row> rows;
  PageBuilder& Add(std::string raw, std::optional<TimePoint> received, std::uint64_t key) {
    rows.push_back({std::move(raw), received, key});
    return *this;
  }
  TracePage Build() const {
    TracePage page;
    for (const Row& row : rows) page.body += row.raw;
    std::size_t at = 0;
    for (const Row& row : rows) {
      page.records.push_back(
          {std::string_view(page.body).substr(at, row.raw.size()), row.received, row.key});
      at += row.raw.size();
    }
    return page;
  }
};

std::vector<std::string> Texts(const RecordSelection& selection) {
  return std::vector<std::string>(selection.events.begin(), selection.events.end());
}

// A window of 10:00 -> 10:05, read with no lookback, keys kept from its start.
RecordSelectionOptions Options() {
  RecordSelectionOptions options;
  options.window = {At("2026-01-21T10:00:00Z"), At("2026-01-21T10:05:00Z")};
  options.query = options.window;
  options.keep_keys_from = options.window.start;
  options.rows_outside_key_time = options.window.start;
  return options;
}

TEST(SelectRecords, KeepsTheWindowsStartAndLeavesItsEndToTheNextWindow) {
  const RecordSelectionOptions options = Options();
  const TracePage page = PageBuilder()
                             .Add("{\"before\"}", At("2026-01-21T09:59:59Z"), 0)
                             .Add("{\"start\"}", At("2026-01-21T10:00:00Z"), 0)
                             .Add("{\"inside\"}", At("2026-01-21T10:04:59Z"), 0)
                             .Add("{\"end\"}", At("2026-01-21T10:05:00Z"), 0)
                             .Build();
  const RecordSelection selection = SelectRecords(page, options, nullptr);
  EXPECT_EQ(Texts(selection), (std::vector<std::string>{"{\"start\"}", "{\"inside\"}"}));
  EXPECT_EQ(selection.outside, 2u);
  ASSERT_TRUE(selection.dates);
  EXPECT_EQ(selection.dates->first, At("2026-01-21T10:00:00Z"));
  EXPECT_EQ(selection.dates->second, At("2026-01-21T10:04:59Z"));
}

TEST(SelectRecords, SendsTheRecordsBytesWithoutCopyingThem) {
  const TracePage page = PageBuilder().Add("{\"a\": 1}", At("2026-01-21T10:01:00Z"), 0).Build();
  const RecordSelection selection = SelectRecords(page, Options(), nullptr);
  ASSERT_EQ(selection.events.size(), 1u);
  EXPECT_EQ(selection.events[0].data(), page.body.data());
  EXPECT_TRUE(selection.repaired.empty());
}

TEST(SelectRecords, KeepsTheLookbackBeforeTheWindowButCountsOnlyTheWindowsDates) {
  RecordSelectionOptions options = Options();
  options.query.start = options.window.start - minutes(60);
  const TracePage page = PageBuilder()
                             .Add("{\"late\"}", At("2026-01-21T09:10:00Z"), 0)
                             .Add("{\"too old\"}", At("2026-01-21T08:59:59Z"), 0)
                             .Add("{\"new\"}", At("2026-01-21T10:02:00Z"), 0)
                             .Build();
  const RecordSelection selection = SelectRecords(page, options, nullptr);
  EXPECT_EQ(Texts(selection), (std::vector<std::string>{"{\"late\"}", "{\"new\"}"}));
  ASSERT_TRUE(selection.dates);
  EXPECT_EQ(selection.dates->first, At("2026-01-21T10:02:00Z"));
  EXPECT_EQ(selection.dates->second, At("2026-01-21T10:02:00Z"));
}

TEST(SelectRecords, KeepsARecordWithoutADateAndCountsIt) {
  const TracePage page = PageBuilder().Add("{\"undated\"}", std::nullopt, 0).Build();
  const RecordSelection selection = SelectRecords(page, Options(), nullptr);
  EXPECT_EQ(Texts(selection), std::vector<std::string>{"{\"undated\"}"});
  EXPECT_EQ(selection.undated, 1u);
  EXPECT_FALSE(selection.dates);
}

TEST(SelectRecords, KeepsEveryRowOfAServiceThatSelectsByAnotherDate) {
  RecordSelectionOptions options = Options();
  options.rows_outside_window = true;
  const TracePage page = PageBuilder()
                             .Add("{\"before\"}", At("2026-01-21T09:00:00Z"), 0)
                             .Add("{\"after\"}", At("2026-01-21T10:30:00Z"), 0)
                             .Build();
  const RecordSelection selection = SelectRecords(page, options, nullptr);
  EXPECT_EQ(Texts(selection), (std::vector<std::string>{"{\"before\"}", "{\"after\"}"}));
  EXPECT_EQ(selection.outside, 0u);
}

TEST(SelectRecords, SkipsTheStatesForwardedBeforeAndReturnsTheNewKeysWithTheirDates) {
  sekoia::testing::FakeObjectStore objects;
  ForwardedKeys forwarded(objects, "keys.txt");
  const std::uint64_t sent = RecordKey("\"m1\"", "\"a@x\"", "delivered");
  const std::uint64_t pending = RecordKey("\"m2\"", "\"a@x\"", "pending");
  const std::uint64_t delivered = RecordKey("\"m2\"", "\"a@x\"", "delivered");
  forwarded.Add({{sent, 0}, {pending, 0}});
  const TracePage page = PageBuilder()
                             .Add("{\"m1 delivered\"}", At("2026-01-21T10:01:00Z"), sent)
                             .Add("{\"m2 pending\"}", At("2026-01-21T10:02:00Z"), pending)
                             .Add("{\"m2 delivered\"}", At("2026-01-21T10:02:00Z"), delivered)
                             .Add("{\"no key\"}", At("2026-01-21T10:03:00Z"), 0)
                             .Build();
  const RecordSelection selection = SelectRecords(page, Options(), &forwarded);
  EXPECT_EQ(Texts(selection), (std::vector<std::string>{"{\"m2 delivered\"}", "{\"no key\"}"}));
  EXPECT_EQ(selection.forwarded_before, 2u);
  using Keys = std::vector<std::pair<std::uint64_t, std::int64_t>>;
  EXPECT_EQ(selection.new_keys, (Keys{{delivered, Unix(At("2026-01-21T10:02:00Z"))}}));
  // Pure: the keys are the caller's to add once the intake has acknowledged the records.
  EXPECT_FALSE(forwarded.Contains(delivered));
  // The skipped records' dates still say how much of the window the page covers.
  EXPECT_EQ(selection.dates->first, At("2026-01-21T10:01:00Z"));
}

TEST(SelectRecords, SendsAStateThePageHoldsTwiceOnce) {
  sekoia::testing::FakeObjectStore objects;
  ForwardedKeys forwarded(objects, "keys.txt");
  const std::uint64_t key = RecordKey("\"m1\"", "\"a@x\"", "delivered");
  const TracePage page = PageBuilder()
                             .Add("{\"first\"}", At("2026-01-21T10:01:00Z"), key)
                             .Add("{\"other\"}", At("2026-01-21T10:01:00Z"),
                                  RecordKey("\"m2\"", "\"a@x\"", "delivered"))
                             .Add("{\"again\"}", At("2026-01-21T10:01:00Z"), key)
                             .Build();
  const RecordSelection selection = SelectRecords(page, Options(), &forwarded);
  EXPECT_EQ(Texts(selection), (std::vector<std::string>{"{\"first\"}", "{\"other\"}"}));
  EXPECT_EQ(selection.duplicates, 1u);
  EXPECT_EQ(selection.new_keys.size(), 2u);
  // Without forwarded keys (each window read once), nothing is checked: both are sent.
  EXPECT_EQ(SelectRecords(page, Options(), nullptr).events.size(), 3u);
}

TEST(SelectRecords, ManyDistinctKeysInAPageAreAllSent) {
  sekoia::testing::FakeObjectStore objects;
  ForwardedKeys forwarded(objects, "keys.txt");
  PageBuilder builder;
  for (int i = 0; i < 5000; ++i) {
    builder.Add("{\"r\":" + std::to_string(i) + "}", At("2026-01-21T10:01:00Z"),
                RecordKey("\"m" + std::to_string(i) + "\"", "\"a@x\"", "delivered"));
  }
  const RecordSelection selection = SelectRecords(builder.Build(), Options(), &forwarded);
  EXPECT_EQ(selection.events.size(), 5000u);
  EXPECT_EQ(selection.duplicates, 0u);
  EXPECT_EQ(selection.new_keys.size(), 5000u);
}

TEST(SelectRecords, KeepsNoKeyForARecordNoLaterReadReturns) {
  sekoia::testing::FakeObjectStore objects;
  ForwardedKeys forwarded(objects, "keys.txt");
  RecordSelectionOptions options = Options();
  options.query.start = options.window.start - minutes(60);  // a full lookback
  options.keep_keys_from = options.window.end - minutes(60);
  const std::uint64_t old_key = RecordKey("\"old\"", "\"a@x\"", "delivered");
  const std::uint64_t kept_key = RecordKey("\"kept\"", "\"a@x\"", "delivered");
  const std::uint64_t undated_key = RecordKey("\"undated\"", "\"a@x\"", "delivered");
  const TracePage page = PageBuilder()
                             .Add("{\"old\"}", At("2026-01-21T09:04:59Z"), old_key)
                             .Add("{\"kept\"}", At("2026-01-21T09:05:00Z"), kept_key)
                             .Add("{\"undated\"}", std::nullopt, undated_key)
                             .Build();
  const RecordSelection selection = SelectRecords(page, options, &forwarded);
  EXPECT_EQ(selection.events.size(), 3u);  // all sent
  using Keys = std::vector<std::pair<std::uint64_t, std::int64_t>>;
  // An undated record's key is dated by the window's end.
  EXPECT_EQ(selection.new_keys, (Keys{{kept_key, Unix(At("2026-01-21T09:05:00Z"))},
                                      {undated_key, Unix(options.window.end)}}));
}

TEST(SelectRecords, DatesTheKeyOfARowOutsideTheWindowAtLeastAsTheNextReadsMayReturnIt) {
  sekoia::testing::FakeObjectStore objects;
  ForwardedKeys forwarded(objects, "keys.txt");
  RecordSelectionOptions options = Options();
  options.rows_outside_window = true;
  options.rows_outside_key_time = options.window.end;
  const std::uint64_t key = RecordKey("\"row\"", "\"a@x\"", "delivered");
  const TracePage page = PageBuilder().Add("{\"row\"}", At("2026-01-21T08:00:00Z"), key).Build();
  const RecordSelection selection = SelectRecords(page, options, &forwarded);
  using Keys = std::vector<std::pair<std::uint64_t, std::int64_t>>;
  EXPECT_EQ(selection.new_keys, (Keys{{key, Unix(options.window.end)}}));
}

TEST(SelectRecords, RepairsInvalidUtf8IntoACopyAndCountsIt) {
  const TracePage page = PageBuilder()
                             .Add("{\"a\": \"ok\"}", At("2026-01-21T10:01:00Z"), 0)
                             .Add("{\"b\": \"\xff\"}", At("2026-01-21T10:01:00Z"), 0)
                             .Add("{\"c\": \"caf\xc3\"}", At("2026-01-21T10:01:00Z"), 0)
                             .Build();
  RecordSelection selection = SelectRecords(page, Options(), nullptr);
  EXPECT_EQ(Texts(selection),
            (std::vector<std::string>{"{\"a\": \"ok\"}", "{\"b\": \"\xef\xbf\xbd\"}",
                                      "{\"c\": \"caf\xef\xbf\xbd\"}"}));
  EXPECT_EQ(selection.repaired.size(), 2u);
  EXPECT_EQ(selection.events[0].data(), page.body.data());  // the valid one is not copied
  // The views into the repaired copies survive a move of the selection.
  const RecordSelection moved = std::move(selection);
  EXPECT_EQ(std::string(moved.events[1]), "{\"b\": \"\xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace message_trace
