// The collector against services whose paging misbehaves: links that loop, pages without
// records, links off the service, rows outside the window (issues 13 and 16).
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "collector.hpp"
#include "fake_clock.hpp"
#include "fake_random.hpp"
#include "fake_stores.hpp"
#include "fake_transport.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/time_format.hpp"

namespace message_trace {
namespace {

using sekoia::TimePoint;
using std::chrono::hours;
using std::chrono::minutes;

// Pages by URL: "first" is the window's first page; each page has records and maybe a link.
class ScriptedSource final : public TraceSource {
 public:
  struct Scripted {
    std::vector<std::string> records = {};
    std::optional<std::string> next = std::nullopt;
    std::optional<std::string> warning = std::nullopt;
    std::optional<std::string> paging_error = std::nullopt;
  };
  SourceLimits Limits() const override {
    return {hours(24 * 10), hours(24 * 90), rows_outside_window};
  }
  std::string FirstPageUrl(const Window&) const override { return "first"; }
  TracePage FetchPage(const std::string& url, std::size_t, const sekoia::StopSignal&) override {
    urls.push_back(url);
    if (url.rfind("https://elsewhere", 0) == 0) throw PagingError("off the service");
    const Scripted& scripted = pages.at(url);
    TracePage page;
    page.body.reserve(256);  // on the heap, so the records' views survive the page's moves
    for (const std::string& record : scripted.records) page.body += record;
    std::size_t at = 0;
    for (const std::string& record : scripted.records) {
      page.records.push_back({std::string_view(page.body).substr(at, record.size()), received, 0});
      at += record.size();
    }
    page.next_url = scripted.next;
    page.warning = scripted.warning;
    page.paging_error = scripted.paging_error;
    return page;
  }
  std::map<std::string, Scripted> pages;
  std::vector<std::string> urls;
  std::optional<TimePoint> received;
  bool rows_outside_window = false;
};

struct Fixture {
  sekoia::testing::FakeClock clock{*sekoia::ParseIso8601("2026-01-21T12:00:00Z")};
  sekoia::testing::FakeRandom random;  // the top of [0, 1): each failure backoff is its ceiling
  sekoia::testing::FakeCheckpointStore checkpoints;
  sekoia::testing::FakeIntake intake;
  sekoia::testing::FakeLogger logger;
  sekoia::Metrics metrics{"k"};
  sekoia::HealthState health{sekoia::HealthOptions{}, clock.Now()};
  CollectorOptions options;
  std::unique_ptr<Collector> Make(TraceSource& source) {
    return std::make_unique<Collector>(options, source, intake, checkpoints, clock, random, logger,
                                       metrics, health);
  }
};

TEST(CollectorPaging, ALinkBackToAnEarlierPageEndsTheWindowWithAnErrorAndNoDuplicate) {
  Fixture f;
  ScriptedSource source;
  source.pages["first"] = {{"a", "b"}, "p2"};
  source.pages["p2"] = {{"c", "d"}, "p3"};
  source.pages["p3"] = {{"e"}, "p2"};  // back to the second page
  auto collector = f.Make(source);
  sekoia::StopSignal stop;
  ASSERT_TRUE(collector->RunOnce(stop));
  EXPECT_EQ(source.urls, (std::vector<std::string>{"first", "p2", "p3"}));
  EXPECT_EQ(f.intake.received, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kError, "already followed in this window"));
  // The window is over: the checkpoint moved past it, no link kept.
  EXPECT_FALSE(collector->cursor().window);
  EXPECT_FALSE(f.checkpoints.saved->contains("window"));
}

TEST(CollectorPaging, ALinkToTheFirstPageLoopsToo) {
  Fixture f;
  ScriptedSource source;
  source.pages["first"] = {{"a"}, "first"};
  auto collector = f.Make(source);
  sekoia::StopSignal stop;
  ASSERT_TRUE(collector->RunOnce(stop));
  EXPECT_EQ(source.urls.size(), 1u);
  EXPECT_EQ(f.intake.received, std::vector<std::string>{"a"});
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kError, "paging loops"));
}

TEST(CollectorPaging, MorePagesThanRecordsEndTheWindow) {
  Fixture f;
  ScriptedSource source;
  source.pages["first"] = {{"a"}, "e1"};
  for (int i = 1; i < 50; ++i)
    source.pages["e" + std::to_string(i)] = {{}, "e" + std::to_string(i + 1)};
  auto collector = f.Make(source);
  sekoia::StopSignal stop;
  ASSERT_TRUE(collector->RunOnce(stop));
  // One record allows two pages (the last may be empty); the third ends it.
  EXPECT_EQ(source.urls.size(), 3u);
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kError, "more pages than the records allow"));
  EXPECT_EQ(f.intake.received, std::vector<std::string>{"a"});
}

TEST(CollectorPaging, AnEmptyLastPageIsNormal) {
  Fixture f;
  ScriptedSource source;
  source.pages["first"] = {{"a", "b"}, "p2"};
  source.pages["p2"] = {{}, std::nullopt};
  auto collector = f.Make(source);
  sekoia::StopSignal stop;
  ASSERT_TRUE(collector->RunOnce(stop));
  EXPECT_FALSE(f.logger.Contains(sekoia::LogLevel::kError, "paging"));
}

// Issue 13.5: the source refuses a link off the service as it reads the page. The window ends
// there with an error, the link is never saved, and the next cycle reads the next window: no
// cycle reads the window again (without a lookback, that would forward its pages again).
TEST(CollectorPaging, ALinkOffTheServiceEndsTheWindowWithAnErrorAndIsNeverSaved) {
  Fixture f;
  f.options.lookback = std::chrono::seconds(0);
  ScriptedSource source;
  source.pages["first"] = {{"a"}, "p2"};
  source.pages["p2"] = {
      {"b"}, std::nullopt, std::nullopt, std::string("the next link points to elsewhere")};
  auto collector = f.Make(source);
  sekoia::StopSignal stop;
  ASSERT_TRUE(collector->RunOnce(stop));
  EXPECT_EQ(source.urls, (std::vector<std::string>{"first", "p2"}));
  EXPECT_EQ(f.intake.received, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kError,
                                "the next link points to elsewhere; the window "));
  EXPECT_EQ(nlohmann::json::parse(f.health.Render(f.clock.Now()).second)["error_count"], 1);
  EXPECT_FALSE(collector->cursor().window);
  EXPECT_FALSE(f.checkpoints.saved->contains("window")) << f.checkpoints.saved->dump();
  const std::string first_end = f.checkpoints.saved->value("most_recent_date_requested", "");

  // The next cycle: the next window, from its first page, the previous one not read again.
  f.clock.Advance(minutes(10));
  ASSERT_TRUE(collector->RunOnce(stop));
  EXPECT_EQ(source.urls, (std::vector<std::string>{"first", "p2", "first", "p2"}));
  EXPECT_FALSE(
      f.logger.Contains(sekoia::LogLevel::kWarning, "the checkpoint's next link is not followed"));
  EXPECT_NE(f.checkpoints.saved->value("most_recent_date_requested", ""), first_end);
  EXPECT_FALSE(f.checkpoints.saved->contains("window"));
}

TEST(CollectorPaging, AStoredLinkOffTheServiceRereadsTheWindowFromItsStart) {
  Fixture f;
  const TimePoint now = f.clock.Now();
  f.checkpoints.saved =
      nlohmann::json{{"most_recent_date_requested", sekoia::FormatIso8601(now - minutes(30))},
                     {"window",
                      {{"start", sekoia::FormatIso8601(now - minutes(30))},
                       {"end", sekoia::FormatIso8601(now - minutes(20))},
                       {"rows_read", 5},
                       {"next_link", "https://elsewhere.test/stolen"}}}};
  ScriptedSource source;
  source.pages["first"] = {{"a"}, std::nullopt};
  auto collector = f.Make(source);
  sekoia::StopSignal stop;
  ASSERT_TRUE(collector->RunOnce(stop));
  EXPECT_EQ(source.urls, (std::vector<std::string>{"https://elsewhere.test/stolen", "first"}));
  EXPECT_TRUE(
      f.logger.Contains(sekoia::LogLevel::kWarning, "the checkpoint's next link is not followed"));
  EXPECT_EQ(f.intake.received, std::vector<std::string>{"a"});
}

TEST(CollectorPaging, RowsOutsideTheWindowAreForwardedWhenTheServiceSaysSo) {
  for (bool outside : {false, true}) {
    Fixture f;
    ScriptedSource source;
    source.rows_outside_window = outside;
    source.received = f.clock.Now() - hours(30);  // long before any window
    source.pages["first"] = {{"a"}, std::nullopt, std::string("rows have a gap")};
    auto collector = f.Make(source);
    sekoia::StopSignal stop;
    ASSERT_TRUE(collector->RunOnce(stop));
    EXPECT_EQ(f.intake.received.size(), outside ? 1u : 0u);
    EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kWarning, "rows have a gap (window "));
  }
}

}  // namespace
}  // namespace message_trace
