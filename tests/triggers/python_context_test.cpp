#include "python_context.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "sekoia/time_format.hpp"

namespace message_trace {
namespace {

class MemoryStore final : public sekoia::CheckpointStore {
 public:
  std::optional<nlohmann::json> saved;
  std::optional<nlohmann::json> Load() override { return saved; }
  void Save(const nlohmann::json& checkpoint) override { saved = checkpoint; }
};

TEST(ContextPreservingStore, KeepsThePythonConnectorsKeysWhenSaving) {
  MemoryStore inner;
  inner.saved = nlohmann::json{{"most_recent_date_requested", "2026-03-05T10:00:00.123456+00:00"},
                               {"events_cache", {"a", "b"}},
                               {"window", {{"start", "x"}}},
                               {"future_key", 3}};
  ContextPreservingStore store(inner);
  ASSERT_TRUE(store.Load());
  EXPECT_EQ(store.EventsCache(), (std::set<std::string>{"a", "b"}));
  store.Save({{"most_recent_date_requested", "2026-03-05T10:01:00Z"}});
  // Ours replaced (the finished window gone), theirs kept.
  EXPECT_EQ(*inner.saved, (nlohmann::json{{"most_recent_date_requested", "2026-03-05T10:01:00Z"},
                                          {"events_cache", {"a", "b"}},
                                          {"future_key", 3}}));
}

TEST(ContextPreservingStore, SavesAsIsWithoutAnEarlierDocument) {
  MemoryStore inner;
  ContextPreservingStore store(inner);
  EXPECT_FALSE(store.Load());
  EXPECT_TRUE(store.EventsCache().empty());
  store.Save({{"most_recent_date_requested", "2026-03-05T10:01:00Z"}});
  EXPECT_EQ(*inner.saved, (nlohmann::json{{"most_recent_date_requested", "2026-03-05T10:01:00Z"}}));
}

class OnePageSource final : public TraceSource {
 public:
  std::string body;
  std::vector<TraceRecord> records;
  SourceLimits Limits() const override { return {std::chrono::hours(1), std::chrono::hours(24)}; }
  std::string FirstPageUrl(const Window&) const override { return "https://graph.test/page"; }
  TracePage FetchPage(const std::string&, std::size_t, const sekoia::StopSignal&) override {
    TracePage page;
    page.records = records;
    return page;
  }
};

TEST(EventsCacheFilter, DropsOnlyCachedIdsUpToThePythonCheckpoint) {
  const auto boundary = *sekoia::ParseIso8601("2026-03-05T10:00:00Z");
  const std::string cached_at_boundary = R"({"id":"a","receivedDateTime":"2026-03-05T10:00:00Z"})";
  const std::string new_at_boundary = R"({"id":"c","receivedDateTime":"2026-03-05T10:00:00Z"})";
  const std::string cached_later = R"({"id":"b","receivedDateTime":"2026-03-05T10:00:01Z"})";
  OnePageSource inner;
  inner.records = {{cached_at_boundary, boundary, 1},
                   {new_at_boundary, boundary, 2},
                   {cached_later, boundary + std::chrono::seconds(1), 3}};
  EventsCacheFilter filter(inner, {"a", "b"}, boundary);
  sekoia::StopSignal stop;
  const TracePage page = filter.FetchPage(filter.FirstPageUrl({boundary, boundary}), 0, stop);
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_EQ(page.records[0].raw, new_at_boundary);
  EXPECT_EQ(page.records[1].raw, cached_later);
  EXPECT_EQ(filter.skipped(), 1u);
}

}  // namespace
}  // namespace message_trace
