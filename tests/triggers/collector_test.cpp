#include "collector.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <set>

#include "fake_clock.hpp"
#include "fake_random.hpp"
#include "fake_stores.hpp"
#include "fake_transport.hpp"
#include "keys_file.hpp"
#include "record_key.hpp"
#include "sekoia/backoff.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/time_format.hpp"
#include "test_dir.hpp"

namespace message_trace {
namespace {

using sekoia::TimePoint;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// The offset part of a fake link ("start|end|offset").
std::string Offset(const std::string& url) { return url.substr(url.rfind('|') + 1); }

// A tenant in memory: records at given times, served in pages of `page_size` with
// "window-index|offset" links; it can fail chosen calls.
class FakeSource final : public TraceSource {
 public:
  explicit FakeSource(std::vector<TimePoint> times, std::size_t page_size = 3)
      : page_size_(page_size) {
    for (std::size_t i = 0; i < times.size(); ++i) {
      records_.push_back(
          {"{\"n\":" + std::to_string(i) + ",\"t\":\"" + sekoia::FormatIso8601(times[i]) + "\"}",
           times[i]});
      keys_.push_back(i + 1);
    }
  }
  SourceLimits Limits() const override { return limits; }
  std::string FirstPageUrl(const Window& window) const override {
    return sekoia::FormatIso8601(window.start) + "|" + sekoia::FormatIso8601(window.end) + "|0";
  }
  TracePage FetchPage(const std::string& url, std::size_t, const sekoia::StopSignal&) override {
    ++calls;
    urls.push_back(url);
    if (fail_call == calls) throw sekoia::TransportError("connection reset");
    if (refuse_next_link_once && Offset(url) != "0") {
      refuse_next_link_once = false;  // a link from before a restart, which the service forgot
      throw sekoia::HttpStatusError(400, "Invalid skip token");
    }
    auto first = url.find('|'), second = url.find('|', first + 1);
    TimePoint start = *sekoia::ParseIso8601(url.substr(0, first));
    TimePoint end = *sekoia::ParseIso8601(url.substr(first + 1, second - first - 1));
    std::size_t offset = std::stoul(url.substr(second + 1));
    windows.insert({start, end});
    std::vector<const std::pair<std::string, TimePoint>*> matching;
    for (const auto& record : records_)  // both bounds inclusive, as the services do
      if (record.second >= start && record.second <= end) matching.push_back(&record);
    TracePage page;
    for (std::size_t i = offset; i < matching.size() && i < offset + page_size_; ++i)
      page.body += matching[i]->first + "\n";
    std::size_t pos = 0;
    for (std::size_t i = offset; i < matching.size() && i < offset + page_size_; ++i) {
      std::size_t len = matching[i]->first.size();
      page.records.push_back({std::string_view(page.body).substr(pos, len), matching[i]->second,
                              keys_[static_cast<std::size_t>(matching[i] - records_.data())]});
      pos += len + 1;
    }
    if (offset + page_size_ < matching.size())
      page.next_url = url.substr(0, second + 1) + std::to_string(offset + page_size_);
    rows_served += page.records.size();
    return page;
  }
  std::size_t size() const { return records_.size(); }
  /** A record that shows up now (late), or a new state of one (same id, another status). */
  std::size_t Publish(TimePoint time, const std::string& id, const std::string& status) {
    records_.push_back({"{\"id\":\"" + id + "\",\"status\":\"" + status + "\"}", time});
    keys_.push_back(RecordKey(id, "", status));
    return records_.size() - 1;
  }
  std::string Record(std::size_t i) const { return records_[i].first; }

  SourceLimits limits{hours(24 * 10), hours(24 * 90)};
  int calls = 0;
  std::size_t rows_served = 0;
  int fail_call = -1;
  bool refuse_next_link_once = false;
  std::vector<std::string> urls;
  std::set<std::pair<TimePoint, TimePoint>> windows;

 private:
  std::size_t page_size_;
  std::vector<std::pair<std::string, TimePoint>> records_;
  std::vector<std::uint64_t> keys_;
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

  std::unique_ptr<Collector> Make(FakeSource& source, ForwardedKeys* keys = nullptr) {
    return std::make_unique<Collector>(options, source, intake, checkpoints, clock, random, logger,
                                       metrics, health, keys);
  }
  TimePoint Now() const { return clock.Now(); }
};

// A fake clock that calls `on_wait` with the wait's number before each wait: a test changes the
// world there (a volume writable again) or stops the run.
class HealingClock final : public sekoia::Clock {
 public:
  TimePoint Now() const override { return inner.Now(); }
  bool Wait(std::chrono::milliseconds duration, const sekoia::StopSignal& stop) override {
    on_wait(++waits);
    return inner.Wait(duration, stop);
  }
  sekoia::testing::FakeClock inner{*sekoia::ParseIso8601("2026-01-21T12:00:00Z")};
  std::function<void(int)> on_wait;
  int waits = 0;
};

// Runs cycles until the collector has nothing due.
void Drain(Collector& collector) {
  sekoia::StopSignal stop;
  for (int i = 0; i < 10000 && collector.RunOnce(stop); ++i) {
  }
}

TEST(Collector, FirstStartBeginsStartTimeHoursBackAndStopsTimedeltaBehind) {
  Fixture f;
  f.options.start_time = hours(3);
  TimePoint now = f.Now();
  FakeSource source({now - hours(4), now - hours(2), now - minutes(10), now - minutes(4)});
  auto collector = f.Make(source);
  Drain(*collector);
  EXPECT_EQ(f.intake.received, (std::vector<std::string>{source.Record(1), source.Record(2)}));
  EXPECT_EQ(collector->cursor().next_start, now - minutes(5));
  EXPECT_EQ(f.checkpoints.saved->at("most_recent_date_requested"), "2026-01-21T11:55:00Z");
  EXPECT_FALSE(f.checkpoints.saved->contains("window"));
}

TEST(Collector, StartTimeBeyondWhatTheServiceKeepsIsClampedWithAWarning) {
  Fixture f;
  f.options.start_time = hours(24 * 31);
  FakeSource source({});
  source.limits = {hours(6), hours(24 * 30) - minutes(10)};  // the legacy service's
  auto collector = f.Make(source);
  EXPECT_EQ(collector->cursor().next_start, f.Now() - hours(24 * 30) + minutes(10));
  EXPECT_TRUE(f.logger.Contains(
      sekoia::LogLevel::kWarning,
      "start_time: 744 hours reaches past the oldest data the service keeps (about 30 "
      "days); starting from 2025-12-22T12:10:00Z instead"));
}

TEST(Collector, StartTimeWithinWhatTheServiceKeepsOrACheckpointGivesNoClampWarning) {
  Fixture f;
  f.options.start_time = hours(24 * 29);
  FakeSource source({});
  source.limits = {hours(6), hours(24 * 30) - minutes(10)};
  auto collector = f.Make(source);
  EXPECT_EQ(collector->cursor().next_start, f.Now() - hours(24 * 29));
  // A checkpoint is resumed: start_time is not used, whatever it says.
  Fixture g;
  g.options.start_time = hours(24 * 31);
  g.checkpoints.saved = nlohmann::json{{"most_recent_date_requested", "2026-01-21T10:00:00Z"}};
  auto resumed = g.Make(source);
  EXPECT_EQ(resumed->cursor().next_start, g.Now() - hours(2));
  for (const auto* logger : {&f.logger, &g.logger}) {
    EXPECT_FALSE(logger->Contains(sekoia::LogLevel::kWarning, "start_time"))
        << "a warning without a clamp";
  }
}

TEST(Collector, BackfillUsesWindowsOfAtMostTenDaysAndPagesThroughThem) {
  Fixture f;
  f.options.start_time = hours(24 * 25);
  std::vector<TimePoint> times;
  for (int i = 0; i < 24 * 25; i += 3) times.push_back(f.Now() - hours(i) - minutes(7));
  FakeSource source(times, 7);
  auto collector = f.Make(source);
  Drain(*collector);
  EXPECT_EQ(f.intake.received.size(), times.size());
  std::set<std::string> unique(f.intake.received.begin(), f.intake.received.end());
  EXPECT_EQ(unique.size(), times.size());
  EXPECT_EQ(source.windows.size(), 3u);
  for (const auto& [start, end] : source.windows) EXPECT_LE(end - start, hours(24 * 10));
}

TEST(Collector, RecordOnAWindowBoundaryIsSentOnce) {
  Fixture f;
  f.options.start_time = hours(24 * 12);
  TimePoint first_start = f.Now() - hours(24 * 12);
  TimePoint boundary = first_start + hours(24 * 10);  // end of window 1 = start of window 2
  FakeSource source({first_start, boundary, boundary, boundary + seconds(1)});
  auto collector = f.Make(source);
  Drain(*collector);
  std::multiset<std::string> received(f.intake.received.begin(), f.intake.received.end());
  ASSERT_EQ(received.size(), 4u);
  for (std::size_t i = 0; i < source.size(); ++i)
    EXPECT_EQ(received.count(source.Record(i)), 1u) << i;
}

TEST(Collector, CheckpointRecordsTheNextPageInsideAWindow) {
  Fixture f;
  std::vector<TimePoint> times;
  for (int i = 0; i < 8; ++i) times.push_back(f.Now() - minutes(50) + minutes(i));
  FakeSource source(times, 3);
  std::vector<nlohmann::json> seen;
  f.intake.on_forward = [&] { seen.push_back(f.checkpoints.saved.value_or(nlohmann::json())); };
  auto collector = f.Make(source);
  Drain(*collector);
  ASSERT_EQ(seen.size(), 3u);
  // When page 2 is forwarded, the checkpoint already points at page 2 (saved after page 1 was
  // acknowledged).
  EXPECT_EQ(Offset(seen[1]["window"]["next_link"]), "3");
  EXPECT_EQ(Offset(seen[2]["window"]["next_link"]), "6");
  EXPECT_EQ(seen[1]["most_recent_date_requested"], "2026-01-21T11:00:00Z");
}

TEST(Collector, RestartResumesAtTheStoredPage) {
  Fixture f;
  std::vector<TimePoint> times;
  for (int i = 0; i < 8; ++i) times.push_back(f.Now() - minutes(50) + minutes(i));
  FakeSource source(times, 3);
  {
    auto collector = f.Make(source);
    source.fail_call = 3;  // the third page fails: the cycle fails, the checkpoint holds page 3
    sekoia::StopSignal stop;
    EXPECT_THROW(collector->RunOnce(stop), sekoia::TransportError);
  }
  EXPECT_EQ(f.intake.received.size(), 6u);
  source.fail_call = -1;
  auto restarted = f.Make(source);
  Drain(*restarted);
  EXPECT_EQ(Offset(source.urls.back()), "6");
  std::set<std::string> unique(f.intake.received.begin(), f.intake.received.end());
  EXPECT_EQ(f.intake.received.size(), 8u);
  EXPECT_EQ(unique.size(), 8u);
}

TEST(Collector, RefusedStoredLinkRereadsTheWindowFromItsStart) {
  Fixture f;
  std::vector<TimePoint> times;
  for (int i = 0; i < 5; ++i) times.push_back(f.Now() - minutes(50) + minutes(i));
  FakeSource source(times, 3);
  {
    auto collector = f.Make(source);
    source.fail_call = 2;
    sekoia::StopSignal stop;
    EXPECT_THROW(collector->RunOnce(stop), sekoia::TransportError);
  }
  source.fail_call = -1;
  source.refuse_next_link_once = true;
  auto restarted = f.Make(source);
  Drain(*restarted);
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kWarning, "again from its start"));
  std::set<std::string> unique(f.intake.received.begin(), f.intake.received.end());
  EXPECT_EQ(unique.size(), 5u);
}

TEST(Collector, UnacknowledgedPageNeverMovesTheCheckpoint) {
  Fixture f;
  FakeSource source({f.Now() - minutes(30)});
  f.intake.results = {sekoia::intake::ForwardResult::kFailed};
  auto collector = f.Make(source);
  sekoia::StopSignal stop;
  EXPECT_THROW(collector->RunOnce(stop), std::runtime_error);
  EXPECT_FALSE(f.checkpoints.saved.has_value() && !f.checkpoints.saved->contains("window") &&
               f.checkpoints.saved->at("most_recent_date_requested") != "2026-01-21T11:00:00Z");
  Drain(*collector);
  EXPECT_EQ(f.intake.received, std::vector<std::string>{source.Record(0)});
  EXPECT_EQ(f.checkpoints.saved->at("most_recent_date_requested"), "2026-01-21T11:55:00Z");
}

TEST(Collector, ResumesAnExistingPythonCheckpoint) {
  Fixture f;
  f.checkpoints.saved =
      nlohmann::json{{"most_recent_date_requested", "2026-01-21T11:30:00.000000+00:00"}};
  FakeSource source({f.Now() - minutes(40), f.Now() - minutes(20)});
  auto collector = f.Make(source);
  Drain(*collector);
  EXPECT_EQ(f.intake.received, std::vector<std::string>{source.Record(1)});
}

TEST(Collector, AnUnreadableCheckpointStopsTheStartAndIsNeverReplaced) {
  // Unlike damaged content: a checkpoint that exists but cannot be read (permissions, an I/O
  // error, object storage refusing the credentials) may be fine; starting afresh over it would
  // re-send or skip hours.
  Fixture f;
  f.checkpoints.saved = nlohmann::json{{"most_recent_date_requested", "2026-01-21T10:00:00Z"}};
  f.checkpoints.unreadable = true;
  FakeSource source({f.Now() - minutes(50)});
  EXPECT_THROW(f.Make(source), sekoia::StorageError);
  EXPECT_EQ(f.checkpoints.saves, 0);
  EXPECT_EQ(f.checkpoints.saved->at("most_recent_date_requested"), "2026-01-21T10:00:00Z");
  EXPECT_TRUE(f.intake.received.empty());
  EXPECT_FALSE(f.logger.Contains(sekoia::LogLevel::kWarning, "the checkpoint is unusable"));
}

TEST(Collector, UnusableOrFutureCheckpointsAreReplacedWithAWarning) {
  Fixture f;
  f.checkpoints.corrupt = true;
  FakeSource source({});
  auto collector = f.Make(source);
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kWarning, "the checkpoint is unusable"));
  EXPECT_EQ(collector->cursor().next_start, f.Now() - hours(1));

  Fixture g;
  g.checkpoints.saved = nlohmann::json{{"most_recent_date_requested", "2030-01-01T00:00:00Z"}};
  auto future = g.Make(source);
  EXPECT_TRUE(g.logger.Contains(sekoia::LogLevel::kWarning, "in the future"));
  EXPECT_EQ(future->cursor().next_start, g.Now());

  Fixture h;
  h.checkpoints.saved = nlohmann::json{{"most_recent_date_requested", 12}};
  auto wrong_type = h.Make(source);
  EXPECT_TRUE(h.logger.Contains(sekoia::LogLevel::kWarning, "most_recent_date_requested"));
}

TEST(Collector, AReplacedCheckpointIsSavedBeforeTheFirstWindowSoARestartKeepsItsStart) {
  // Unusable at 12:00: start_time (1 hour) back is 11:00, saved at once. Killed before any
  // window ended and restarted at 12:20, the collector must still start at 11:00: choosing
  // again from the later now would skip 11:00 to 11:20.
  Fixture f;
  f.checkpoints.corrupt = true;
  FakeSource source({f.Now() - minutes(50)});
  { auto killed = f.Make(source); }
  ASSERT_TRUE(f.checkpoints.saved.has_value());
  EXPECT_EQ(f.checkpoints.saved->at("most_recent_date_requested"), "2026-01-21T11:00:00Z");
  f.checkpoints.corrupt = false;
  f.clock.Advance(minutes(20));
  auto restarted = f.Make(source);
  EXPECT_EQ(restarted->cursor().next_start, *sekoia::ParseIso8601("2026-01-21T11:00:00Z"));
  Drain(*restarted);
  EXPECT_EQ(f.intake.received, std::vector<std::string>{source.Record(0)});

  // A date in the future is replaced by now on disk too, so the next start does not warn again.
  Fixture g;
  g.checkpoints.saved = nlohmann::json{{"most_recent_date_requested", "2030-01-01T00:00:00Z"}};
  { auto first = g.Make(source); }
  EXPECT_EQ(g.checkpoints.saved->at("most_recent_date_requested"), "2026-01-21T12:00:00Z");
}

TEST(Collector, ReadOnlyCheckpointIsAnErrorAndCollectionGoesOn) {
  Fixture f;
  f.checkpoints.fail_saves = true;
  FakeSource source({f.Now() - minutes(30)});
  auto collector = f.Make(source);
  Drain(*collector);
  EXPECT_EQ(f.intake.received.size(), 1u);
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kError, "cannot save the checkpoint"));
}

TEST(Collector, CheckpointIsSavedSoonAfterTheDirectoryIsWritableAgain) {
  // The window was read while the checkpoint could not be written; caught up, the collector
  // must not wait for the next window to save it, or a restart would re-send the window.
  Fixture f;
  f.checkpoints.fail_saves = true;
  FakeSource source({f.Now() - minutes(30)});
  HealingClock clock;
  sekoia::StopSignal stop;
  int saves_at_second_wait = -1;
  std::size_t windows_at_second_wait = 0;
  clock.on_wait = [&](int wait) {
    if (wait == 1) f.checkpoints.fail_saves = false;  // the volume is writable again
    if (wait == 2) {
      saves_at_second_wait = f.checkpoints.saves;
      windows_at_second_wait = source.windows.size();
      stop.Request();
    }
  };
  Collector collector(f.options, source, f.intake, f.checkpoints, clock, f.random, f.logger,
                      f.metrics, f.health);
  collector.Run(stop);
  EXPECT_EQ(f.intake.received.size(), 1u);
  EXPECT_LE(clock.inner.waits().at(0), seconds(10));
  EXPECT_EQ(saves_at_second_wait, 1);
  EXPECT_EQ(windows_at_second_wait, 1u);
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kInfo, "the checkpoint can be saved again"));
}

TEST(CollectorLookback, KeysThatCouldNotBeSavedAreSavedSoonAfterTheDirectoryIsWritableAgain) {
  // The keys go first, always: a checkpoint saved without them would make a restart re-read the
  // lookback against a stale keys file and re-send it.
  Fixture f;
  f.options.lookback = minutes(60);
  f.options.start_time = hours(3);
  sekoia::testing::TestDir dir;
  const auto folder = dir.path() / "not-yet";
  KeysFile keys_file(folder / "keys.txt");  // its folder is missing: saving the keys fails
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({});
  source.Publish(f.Now() - minutes(30), "a", "delivered");
  HealingClock clock;
  sekoia::StopSignal stop;
  bool keys_saved_at_second_wait = false;
  clock.on_wait = [&](int wait) {
    if (wait == 1) std::filesystem::create_directories(folder);  // writable again
    if (wait == 2) {
      keys_saved_at_second_wait = std::filesystem::exists(folder / "keys.txt");
      stop.Request();
    }
  };
  Collector collector(f.options, source, f.intake, f.checkpoints, clock, f.random, f.logger,
                      f.metrics, f.health, &keys);
  collector.Run(stop);
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kError, "cannot save the forwarded keys"));
  EXPECT_LE(clock.inner.waits().at(0), seconds(10));
  EXPECT_TRUE(keys_saved_at_second_wait);
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kInfo, "the forwarded keys can be saved again"));
  KeysFile reloaded_file(folder / "keys.txt");
  ForwardedKeys& reloaded = reloaded_file.keys;
  reloaded.Load();
  EXPECT_EQ(reloaded.size(), 1u);
}

TEST(Collector, CaughtUpMeansOneWindowPerFrequency) {
  Fixture f;
  FakeSource source({});
  auto collector = f.Make(source);
  Drain(*collector);
  sekoia::StopSignal stop;
  EXPECT_FALSE(collector->RunOnce(stop));
  f.clock.Advance(seconds(59));
  EXPECT_FALSE(collector->RunOnce(stop));
  f.clock.Advance(seconds(1));
  EXPECT_TRUE(collector->RunOnce(stop));
  EXPECT_EQ(collector->cursor().next_start, f.Now() - minutes(5));
  EXPECT_TRUE(
      f.logger.Contains(sekoia::LogLevel::kDebug, "done: 0 record(s) forwarded in 1 page(s)"));
}

TEST(Collector, ReleasesTheIntakeBuffersOnlyWhenCaughtUpBeforeEachRest) {
  Fixture f;
  f.options.start_time = hours(3);
  const TimePoint now = f.Now();
  FakeSource source(
      {now - hours(2), now - hours(1), now - minutes(30), now - minutes(20), now - minutes(10)}, 2);
  sekoia::StopSignal stop;
  std::vector<std::size_t> received_at_release;
  f.intake.on_release = [&] {
    received_at_release.push_back(f.intake.received.size());
    if (received_at_release.size() == 2) stop.Request();
  };
  auto collector = f.Make(source);
  collector->Run(stop);
  // Every record was forwarded before the first rest; none is sent while buffers are released.
  ASSERT_EQ(received_at_release.size(), 2u);
  EXPECT_EQ(received_at_release[0], 5u);
  EXPECT_EQ(received_at_release[1], 5u);
  EXPECT_EQ(f.intake.releases, 2);
  EXPECT_EQ(f.clock.waits().size(), 2u)
      << "a release before each rest (the second one ended by the stop)";
}

TEST(Collector, CatchingUpReportsProgress) {
  Fixture f;
  f.options.start_time = hours(24 * 30);
  FakeSource source({});
  auto collector = f.Make(source);
  Drain(*collector);
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kInfo, "catching up: window"));
  // No time passed on this clock: the lag, and no estimate made of nothing.
  EXPECT_TRUE(
      f.logger.Contains(sekoia::LogLevel::kInfo, "record(s) forwarded so far, 19d 23h behind"));
  EXPECT_FALSE(f.logger.Contains(sekoia::LogLevel::kInfo, "to catch up"));
}

TEST(Collector, ProgressInsideALongWindowComesFromTheRecordDatesRead) {
  // One 10-day window of 10 records a day, pages of 3, each page a second at the intake: the
  // line after the first page says how much of the window its dates span (whichever order the
  // service pages in) and estimates the rest from that pace.
  Fixture f;
  f.options.start_time = hours(24 * 10);
  std::vector<TimePoint> times;
  for (int i = 0; i < 100; ++i) times.push_back(f.Now() - hours(24 * 10) + minutes(144 * i + 1));
  FakeSource source(times);
  class SlowIntake final : public sekoia::intake::IntakeSink {
   public:
    explicit SlowIntake(sekoia::testing::FakeClock& clock) : clock_(clock) {}
    sekoia::intake::ForwardResult Forward(const std::vector<std::string_view>&,
                                          const sekoia::StopSignal&) override {
      clock_.Advance(seconds(1));
      return sekoia::intake::ForwardResult::kAcknowledged;
    }

   private:
    sekoia::testing::FakeClock& clock_;
  } intake(f.clock);
  Collector collector(f.options, source, intake, f.checkpoints, f.clock, f.random, f.logger,
                      f.metrics, f.health);
  sekoia::StopSignal stop;
  EXPECT_TRUE(collector.RunOnce(stop));
  std::string lines;
  for (const auto& entry : f.logger.entries()) lines += entry.second + "\n";
  // The first page spans 0:01 to 4:49 of a window of 10 days less timedelta: 2% read in a
  // second, so the 235 hours left take about 49 s.
  EXPECT_NE(lines.find("in progress (about 2% read), 3 record(s) forwarded so far"),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find("about 48s to catch up"), std::string::npos) << lines;
}

TEST(Collector, RepeatedFailuresRaiseOneCriticalAfterTheGrace) {
  Fixture f;
  f.options.startup_grace = minutes(0);
  FakeSource source({f.Now() - minutes(30)});
  source.fail_call = 1;
  class AlwaysFailing final : public TraceSource {
   public:
    SourceLimits Limits() const override { return {hours(240), hours(2160)}; }
    std::string FirstPageUrl(const Window&) const override { return "x"; }
    TracePage FetchPage(const std::string&, std::size_t, const sekoia::StopSignal&) override {
      if (++calls == 7) stop->Request();
      throw sekoia::TransportError("down");
    }
    int calls = 0;
    sekoia::StopSignal* stop = nullptr;
  } failing;
  sekoia::StopSignal stop;
  failing.stop = &stop;
  Collector collector(f.options, failing, f.intake, f.checkpoints, f.clock, f.random, f.logger,
                      f.metrics, f.health);
  collector.Run(stop);
  int criticals = 0, errors = 0, warnings = 0;
  for (const auto& [level, message] : f.logger.entries()) {
    criticals += level == sekoia::LogLevel::kCritical;
    errors += level == sekoia::LogLevel::kError;
    warnings += level == sekoia::LogLevel::kWarning;
  }
  EXPECT_EQ(criticals, 1);
  // Passing failures: warnings while they last less than passing_error_after (10 minutes; the
  // backoffs add up to 5 + 10 + ... + 320 s), then errors.
  EXPECT_EQ(warnings, 7);
  EXPECT_EQ(errors, 0);
  // Backoff doubles from 5 s.
  auto waits = f.clock.waits();
  ASSERT_GE(waits.size(), 3u);
  EXPECT_EQ(waits[0], seconds(5));
  EXPECT_EQ(waits[1], seconds(10));
  EXPECT_EQ(waits[2], seconds(20));
}

TEST(Collector, FailuresBetweenAcknowledgedPagesAreNotInARow) {
  // A long window whose every other request fails: each failure follows a forwarded page, so
  // the backoff stays at its first step and no critical is raised.
  Fixture f;
  f.options.startup_grace = minutes(0);
  f.options.lookback = minutes(0);
  std::vector<TimePoint> times;
  for (int i = 0; i < 12; ++i) times.push_back(f.Now() - minutes(50) + minutes(3 * i));
  FakeSource records(times, 1);
  class Flaky final : public TraceSource {
   public:
    explicit Flaky(FakeSource& inner) : inner_(inner) {}
    SourceLimits Limits() const override { return inner_.Limits(); }
    std::string FirstPageUrl(const Window& window) const override {
      return inner_.FirstPageUrl(window);
    }
    TracePage FetchPage(const std::string& url, std::size_t rows,
                        const sekoia::StopSignal& s) override {
      if (++calls == 23) stop->Request();
      if (calls % 2 == 0) throw sekoia::TransportError("connection reset");
      return inner_.FetchPage(url, rows, s);
    }
    int calls = 0;
    sekoia::StopSignal* stop = nullptr;

   private:
    FakeSource& inner_;
  } flaky(records);
  sekoia::StopSignal stop;
  flaky.stop = &stop;
  Collector collector(f.options, flaky, f.intake, f.checkpoints, f.clock, f.random, f.logger,
                      f.metrics, f.health);
  collector.Run(stop);
  EXPECT_EQ(f.intake.received.size(), 12u);
  int criticals = 0, errors = 0, warnings = 0;
  for (const auto& [level, message] : f.logger.entries()) {
    criticals += level == sekoia::LogLevel::kCritical;
    errors += level == sekoia::LogLevel::kError;
    warnings += level == sekoia::LogLevel::kWarning &&
                message.find("collection failed") != std::string::npos;
  }
  EXPECT_EQ(warnings, 11);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(criticals, 0);
  for (auto wait : f.clock.waits()) EXPECT_EQ(wait, seconds(5));
}

TEST(CollectorProgress, SaysOnceWhenCaughtUpAndWhereARestartResumes) {
  Fixture f;
  std::vector<TimePoint> times;
  for (int i = 0; i < 7; ++i) times.push_back(f.Now() - minutes(50) + minutes(5 * i));
  FakeSource source(times, 3);
  auto collector = f.Make(source);
  EXPECT_EQ(collector->ResumePoint(), "at 2026-01-21T11:00:00Z, the next window's start");
  sekoia::StopSignal stop;
  Drain(*collector);
  f.clock.Advance(minutes(1));
  Drain(*collector);
  int caught_up = 0;
  for (const auto& [level, message] : f.logger.entries())
    caught_up += message.find("caught up after ") != std::string::npos;
  EXPECT_EQ(caught_up, 1);
  EXPECT_TRUE(
      f.logger.Contains(sekoia::LogLevel::kInfo, "7 record(s) forwarded in 3 page request(s)"));
  EXPECT_EQ(collector->ResumePoint(), "at 2026-01-21T11:56:00Z, the next window's start");
}

TEST(CollectorProgress, OnceCaughtUpAnHourlySummaryInsteadOfALinePerWindow) {
  Fixture f;
  f.options.lookback = minutes(0);
  FakeSource source({});
  auto collector = f.Make(source);
  Drain(*collector);
  for (int minute = 0; minute < 125; ++minute) {
    f.clock.Advance(minutes(1));
    if (minute == 70) source.Publish(f.Now() - minutes(6), "late", "delivered");
    Drain(*collector);
  }
  std::vector<std::string> summaries;
  int per_window_info = 0;
  for (const auto& [level, message] : f.logger.entries()) {
    if (level == sekoia::LogLevel::kInfo && message.rfind("in the last ", 0) == 0)
      summaries.push_back(message);
    per_window_info +=
        level == sekoia::LogLevel::kInfo && message.find(" done: ") != std::string::npos;
  }
  EXPECT_EQ(per_window_info, 0);
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[0].rfind("in the last 1h 0m: 0 record(s) forwarded in 60 window(s)", 0), 0u)
      << summaries[0];
  EXPECT_EQ(summaries[1].rfind("in the last 1h 0m: 1 record(s) forwarded in 60 window(s)", 0), 0u)
      << summaries[1];
}

TEST(CollectorProgress, AStopInsideAWindowResumesAtItsStoredPage) {
  Fixture f;
  std::vector<TimePoint> times;
  for (int i = 0; i < 7; ++i) times.push_back(f.Now() - minutes(50) + minutes(5 * i));
  FakeSource source(times, 3);
  f.checkpoints.Save(nlohmann::json{{"most_recent_date_requested", "2026-01-21T11:00:00Z"},
                                    {"window",
                                     {{"start", "2026-01-21T11:00:00Z"},
                                      {"end", "2026-01-21T11:55:00Z"},
                                      {"next_link", "2026-01-21T11:00:00Z|2026-01-21T11:55:00Z|3"},
                                      {"rows_read", 3u}}}});
  auto collector = f.Make(source);
  EXPECT_EQ(collector->ResumePoint(),
            "inside the window 2026-01-21T11:00:00Z -> 2026-01-21T11:55:00Z, at its stored next "
            "page (after 3 row(s))");
}

TEST(CollectorClock, ABackfillGoesOnWhenTheSystemClockStepsBackAnHour) {
  Fixture f;
  f.options.start_time = hours(72);
  std::vector<TimePoint> times;
  for (int i = 0; i < 60; ++i) times.push_back(f.Now() - hours(70) + hours(i));
  FakeSource records(times, 2);
  // Each page takes 30 s; at the 5th, NTP steps the system clock back an hour.
  class Stepping final : public TraceSource {
   public:
    Stepping(FakeSource& inner, sekoia::testing::FakeClock& clock,
             sekoia::testing::FakeLogger& logger)
        : inner_(inner), clock_(clock), logger_(logger) {}
    SourceLimits Limits() const override { return inner_.Limits(); }
    std::string FirstPageUrl(const Window& window) const override {
      return inner_.FirstPageUrl(window);
    }
    TracePage FetchPage(const std::string& url, std::size_t rows,
                        const sekoia::StopSignal& s) override {
      clock_.Advance(seconds(30));
      if (++pages == 5) {
        clock_.StepWall(-hours(1));
        lines_at_step = logger_.entries().size();
      }
      return inner_.FetchPage(url, rows, s);
    }
    int pages = 0;
    std::size_t lines_at_step = 0;

   private:
    FakeSource& inner_;
    sekoia::testing::FakeClock& clock_;
    sekoia::testing::FakeLogger& logger_;
  } source(records, f.clock, f.logger);
  Collector collector(f.options, source, f.intake, f.checkpoints, f.clock, f.random, f.logger,
                      f.metrics, f.health);
  Drain(collector);
  // Every record arrived, once, and the window ended.
  EXPECT_EQ(f.intake.received.size(), 60u);
  std::set<std::string> distinct(f.intake.received.begin(), f.intake.received.end());
  EXPECT_EQ(distinct.size(), 60u);
  EXPECT_FALSE(collector.cursor().window);
  // Progress kept its minute after the step (measured on the monotonic clock): 26 more pages of
  // 30 s each are 13 minutes.
  const auto entries = f.logger.entries();
  int after = 0;
  for (std::size_t i = source.lines_at_step; i < entries.size(); ++i)
    after += entries[i].second.find("catching up: window") != std::string::npos;
  EXPECT_GE(after, 10);
}

TEST(CollectorFailures, EachFailureIsClassifiedOnce) {
  EXPECT_EQ(ClassifyFailure(sekoia::AuthError("AADSTS7000215: Invalid client secret provided")),
            FailureClass::kPermanent);
  EXPECT_EQ(ClassifyFailure(sekoia::ConfigError("tenant_id: missing")), FailureClass::kPermanent);
  EXPECT_EQ(ClassifyFailure(IntakeRefusedError("refused")), FailureClass::kPermanent);
  // The permanent statuses are ones the one retry policy never retries either; the statuses it
  // retries are passing here too (the transport has spent its attempts on them already).
  for (int status : {400, 401, 403, 404}) {
    EXPECT_EQ(ClassifyFailure(sekoia::HttpStatusError(status, "x")), FailureClass::kPermanent)
        << status;
    EXPECT_FALSE(sekoia::IsRetryableStatus(status)) << status;
  }
  for (int status : {408, 429, 500, 502, 503, 504}) {
    EXPECT_EQ(ClassifyFailure(sekoia::HttpStatusError(status, "x")), FailureClass::kPassing)
        << status;
    EXPECT_TRUE(sekoia::IsRetryableStatus(status)) << status;
  }
  EXPECT_EQ(ClassifyFailure(sekoia::HttpStatusError(200, "x")), FailureClass::kPassing);
  EXPECT_EQ(ClassifyFailure(sekoia::TransportError("connection refused")), FailureClass::kPassing);
  EXPECT_EQ(ClassifyFailure(sekoia::ParseError("invalid page")), FailureClass::kPassing);
  EXPECT_EQ(ClassifyFailure(std::runtime_error("the intake did not acknowledge the events")),
            FailureClass::kPassing);
}

// A source that throws what it is given, and stops the run after `calls_before_stop` calls.
class ThrowingSource final : public TraceSource {
 public:
  ThrowingSource(std::function<void()> fail, int calls_before_stop, sekoia::StopSignal& stop)
      : fail_(std::move(fail)), calls_before_stop_(calls_before_stop), stop_(stop) {}
  SourceLimits Limits() const override { return {hours(240), hours(2160)}; }
  std::string FirstPageUrl(const Window&) const override { return "x"; }
  TracePage FetchPage(const std::string&, std::size_t, const sekoia::StopSignal&) override {
    if (++calls == calls_before_stop_) stop_.Request();
    fail_();
    return {};
  }
  int calls = 0;

 private:
  std::function<void()> fail_;
  int calls_before_stop_;
  sekoia::StopSignal& stop_;
};

TEST(CollectorFailures, APermanentFailureIsCriticalAtOnceThenRetriedAtTheSdksPace) {
  Fixture f;  // the default startup grace (30 minutes) holds back the repeated-failure critical
  sekoia::StopSignal stop;
  ThrowingSource source(
      [] {
        throw sekoia::AuthError("AADSTS7000215: Invalid client secret provided -> give the Value");
      },
      4, stop);
  Collector collector(f.options, source, f.intake, f.checkpoints, f.clock, f.random, f.logger,
                      f.metrics, f.health);
  collector.Run(stop);
  auto entries = f.logger.entries();
  std::vector<sekoia::LogLevel> failures;
  for (const auto& [level, message] : entries)
    if (message.find("AADSTS7000215") != std::string::npos) failures.push_back(level);
  ASSERT_EQ(failures.size(), 4u);
  EXPECT_EQ(failures[0],
            sekoia::LogLevel::kCritical);  // the first occurrence, not after 30 minutes
  for (std::size_t i = 1; i < failures.size(); ++i)
    EXPECT_EQ(failures[i], sekoia::LogLevel::kError);
  EXPECT_TRUE(
      f.logger.Contains(sekoia::LogLevel::kCritical, "tried again every 2m 0s until it is fixed"));
  for (auto wait : f.clock.waits()) EXPECT_EQ(wait, seconds(120));
  EXPECT_NE(f.health.Render(f.clock.Now()).second.find("\"permanent_failure\":true"),
            std::string::npos);
}

TEST(CollectorFailures, APassingFailureIsAWarningUntilItPersistsThenAnError) {
  Fixture f;
  sekoia::StopSignal stop;
  ThrowingSource source(
      [] { throw sekoia::TransportError("graph_url graph.microsoft.com:443: connection refused"); },
      9, stop);
  Collector collector(f.options, source, f.intake, f.checkpoints, f.clock, f.random, f.logger,
                      f.metrics, f.health);
  collector.Run(stop);
  std::vector<sekoia::LogLevel> failures;
  for (const auto& [level, message] : f.logger.entries())
    if (message.find("connection refused") != std::string::npos) failures.push_back(level);
  // Backoffs 5, 10, 20, 40, 80, 160, 320 s: the 8th failure comes 635 s after the first.
  ASSERT_EQ(failures.size(), 9u);
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(failures[i], sekoia::LogLevel::kWarning) << i;
  EXPECT_EQ(failures[7], sekoia::LogLevel::kError);
  EXPECT_FALSE(
      f.logger.Contains(sekoia::LogLevel::kCritical, "connection refused"));  // within the grace
  EXPECT_NE(f.health.Render(f.clock.Now()).second.find("\"permanent_failure\":false"),
            std::string::npos);
}

// Issue 17.1: the failure backoff is the one Backoff, jittered with the injected random source:
// at its bottom each wait is half its ceiling (5 s, 10 s, 20 s...), and the line says the wait
// in whole seconds, rounded up.
TEST(CollectorFailures, ThePassingFailureBackoffIsJitteredByTheInjectedRandom) {
  Fixture f;
  sekoia::testing::FakeRandom lowest(0.0);
  sekoia::StopSignal stop;
  ThrowingSource source([] { throw sekoia::TransportError("connection refused"); }, 4, stop);
  Collector collector(f.options, source, f.intake, f.checkpoints, f.clock, lowest, f.logger,
                      f.metrics, f.health);
  collector.Run(stop);
  EXPECT_EQ(f.clock.waits(),
            (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(2500), seconds(5),
                                                    seconds(10), seconds(20)}));
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kWarning,
                                "collection failed: connection refused; retrying in 3s"));
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kWarning,
                                "collection failed: connection refused; retrying in 5s"));
}

TEST(CollectorFailures, A401AloneIsARevokedTokenAndOneThatComesBackIsPermanent) {
  Fixture f;
  sekoia::StopSignal stop;
  ThrowingSource source(
      [] {
        throw sekoia::HttpStatusError(
            401, "Microsoft Graph answered HTTP 401: InvalidAuthenticationToken");
      },
      3, stop);
  Collector collector(f.options, source, f.intake, f.checkpoints, f.clock, f.random, f.logger,
                      f.metrics, f.health);
  collector.Run(stop);
  std::vector<sekoia::LogLevel> failures;
  for (const auto& [level, message] : f.logger.entries())
    if (message.find("InvalidAuthenticationToken") != std::string::npos) failures.push_back(level);
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[0], sekoia::LogLevel::kWarning);   // retried 5 s later
  EXPECT_EQ(failures[1], sekoia::LogLevel::kCritical);  // it came back: the tenant's
  EXPECT_EQ(failures[2], sekoia::LogLevel::kError);
  const auto waits = f.clock.waits();
  ASSERT_GE(waits.size(), 2u);
  EXPECT_EQ(waits[0], seconds(5));
  EXPECT_EQ(waits[1], seconds(120));
}

TEST(CollectorFailures, ARecoveredPermanentFailureIsSaidAndCriticalAgainIfItReturns) {
  Fixture f;
  sekoia::StopSignal stop;
  FakeSource records({f.Now() - minutes(30)});
  int calls = 0;
  class Switching final : public TraceSource {
   public:
    Switching(FakeSource& inner, int& calls, sekoia::StopSignal& stop)
        : inner_(inner), calls_(calls), stop_(stop) {}
    SourceLimits Limits() const override { return inner_.Limits(); }
    std::string FirstPageUrl(const Window& window) const override {
      return inner_.FirstPageUrl(window);
    }
    TracePage FetchPage(const std::string& url, std::size_t rows,
                        const sekoia::StopSignal& s) override {
      ++calls_;
      if (calls_ == 1 || calls_ >= 3) {
        if (calls_ == 3) stop_.Request();
        throw sekoia::HttpStatusError(403, "Graph: add ExchangeMessageTrace.Read.All");
      }
      return inner_.FetchPage(url, rows, s);
    }

   private:
    FakeSource& inner_;
    int& calls_;
    sekoia::StopSignal& stop_;
  } source(records, calls, stop);
  Collector collector(f.options, source, f.intake, f.checkpoints, f.clock, f.random, f.logger,
                      f.metrics, f.health);
  collector.Run(stop);
  int criticals = 0;
  for (const auto& [level, message] : f.logger.entries())
    criticals += level == sekoia::LogLevel::kCritical &&
                 message.find("ExchangeMessageTrace") != std::string::npos;
  EXPECT_EQ(criticals, 2);
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kInfo, "collection works again"));
}

TEST(CollectorLookback, LateRecordsAndStatusChangesAreForwardedOnceEach) {
  Fixture f;
  f.options.lookback = minutes(60);
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({});
  auto a = source.Publish(f.Now() - minutes(30), "a", "pending");
  auto collector = f.Make(source, &keys);
  Drain(*collector);
  EXPECT_EQ(f.intake.received, std::vector<std::string>{source.Record(a)});

  // Next cycle: a record of 40 minutes ago shows up late, and "a" is delivered.
  auto late = source.Publish(f.Now() - minutes(40), "b", "delivered");
  auto changed = source.Publish(f.Now() - minutes(30), "a", "delivered");
  auto too_late = source.Publish(f.Now() - minutes(70), "c", "delivered");  // past the lookback
  f.clock.Advance(seconds(60));
  Drain(*collector);
  EXPECT_EQ(f.intake.received, (std::vector<std::string>{source.Record(a), source.Record(late),
                                                         source.Record(changed)}));

  // Cycles after that forward nothing again.
  f.clock.Advance(seconds(60));
  Drain(*collector);
  EXPECT_EQ(f.intake.received.size(), 3u);
  (void)too_late;
}

TEST(CollectorLookback, QueriesStartALookbackBeforeTheWindow) {
  Fixture f;
  f.options.lookback = minutes(60);
  f.options.start_time = hours(3);  // the keys begin at 09:00, so a lookback from 10:55 is allowed
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({});
  auto collector = f.Make(source, &keys);
  Drain(*collector);
  f.clock.Advance(seconds(60));
  Drain(*collector);
  // The second window is [11:55, 11:56); its query starts 60 minutes before.
  EXPECT_EQ(source.urls.back().substr(0, 41), "2026-01-21T10:55:00Z|2026-01-21T11:56:00Z");
}

TEST(CollectorLookback, NeverReachesBeforeTheKeysBeganWhenResumingAPythonCheckpoint) {
  Fixture f;
  f.options.lookback = minutes(60);
  f.checkpoints.saved = nlohmann::json{{"most_recent_date_requested", "2026-01-21T11:30:00+00:00"}};
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");  // no file: the Python trigger kept no keys
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({});
  auto sent_by_python = source.Publish(f.Now() - minutes(40), "p", "delivered");
  auto after = source.Publish(f.Now() - minutes(20), "q", "delivered");
  auto collector = f.Make(source, &keys);
  Drain(*collector);
  EXPECT_EQ(f.intake.received, std::vector<std::string>{source.Record(after)});
  EXPECT_EQ(source.urls.front().substr(0, 20), "2026-01-21T11:30:00Z");
  EXPECT_EQ(f.checkpoints.saved->at("lookback_from"), "2026-01-21T11:30:00Z");
  (void)sent_by_python;
}

TEST(CollectorLookback, KeysSurviveARestart) {
  Fixture f;
  f.options.lookback = minutes(60);
  sekoia::testing::TestDir dir;
  FakeSource source({});
  source.Publish(f.Now() - minutes(30), "a", "pending");
  {
    KeysFile keys_file(dir.path() / "keys.txt");
    ForwardedKeys& keys = keys_file.keys;
    auto collector = f.Make(source, &keys);
    Drain(*collector);
  }
  ASSERT_EQ(f.intake.received.size(), 1u);
  f.clock.Advance(seconds(60));
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  auto restarted = f.Make(source, &keys);
  Drain(*restarted);
  EXPECT_EQ(f.intake.received.size(), 1u)
      << "re-reading the lookback after a restart sent a record twice";
  EXPECT_EQ(keys.size(), 1u);
}

TEST(CollectorLookback, KeysStayWithinTheLookbackHorizon) {
  Fixture f;
  f.options.lookback = minutes(10);
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({});
  auto collector = f.Make(source, &keys);
  Drain(*collector);
  for (int cycle = 0; cycle < 120; ++cycle) {  // two hours, 5 records a minute
    for (int i = 0; i < 5; ++i)
      source.Publish(f.Now() - minutes(5) - seconds(10 * i), "m" + std::to_string(cycle * 10 + i),
                     "delivered");
    f.clock.Advance(seconds(60));
    Drain(*collector);
    EXPECT_LE(keys.size(), 5u * 12);  // about the records of one lookback period
  }
  std::set<std::string> unique(f.intake.received.begin(), f.intake.received.end());
  EXPECT_EQ(unique.size(), f.intake.received.size());
  EXPECT_EQ(f.intake.received.size(), 600u);
}

// Late records: each record i of a tenant is received at 12:00 + i minutes + 20 s and published
// `delay` later; one in four shows first as pending, then delivered 20 minutes after that.
struct LateTenant {
  struct State {
    TimePoint published;
    std::string id;
    std::string status;
    bool sent = false;
  };
  std::vector<State> states;
  TimePoint last_received;
  LateTenant(TimePoint start, int records) {
    const minutes delays[] = {minutes(2),  minutes(4),  minutes(12),
                              minutes(27), minutes(45), minutes(58)};
    for (int i = 0; i < records; ++i) {
      const TimePoint received = start + minutes(i) + seconds(20);
      const minutes delay = delays[i % 6];
      const std::string id = "r" + std::to_string(i);
      if (i % 4 == 0 && delay + minutes(20) <= minutes(60)) {
        states.push_back({received + delay, id, "pending"});
        states.push_back({received + delay + minutes(20), id, "delivered"});
      } else {
        states.push_back({received + delay, id, "delivered"});
      }
      last_received = received;
    }
  }
  // Publishes what is due by `now`; `received_at` is the record time to publish under.
  void PublishDue(FakeSource& source, TimePoint now, TimePoint start) {
    for (State& state : states) {
      if (state.sent || state.published > now) continue;
      const int i = std::stoi(state.id.substr(1));
      source.Publish(start + minutes(i) + seconds(20), state.id, state.status);
      state.sent = true;
    }
  }
};

struct LateRun {
  std::vector<std::string> received;
  std::size_t rows_served = 0;
  int requests = 0;
  std::size_t states = 0;
};

// Runs a collector minute by minute for three hours over a LateTenant of 60 records.
LateRun RunLateTenant(CollectorOptions options) {
  Fixture f;
  f.options = options;
  f.options.start_time = hours(0);
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({}, 5);
  const TimePoint start = f.Now();
  LateTenant tenant(start, 60);
  auto collector = f.Make(source, &keys);
  for (int minute = 0; minute <= 180; ++minute) {
    tenant.PublishDue(source, f.Now(), start);
    Drain(*collector);
    f.clock.Advance(seconds(60));
  }
  return {f.intake.received, source.rows_served, source.calls, tenant.states.size()};
}

std::vector<seconds> DefaultAges() { return {minutes(5), minutes(15), minutes(30), minutes(60)}; }

TEST(CollectorReread, LateRecordsAndStatusChangesArriveOnceEachWithAFewReadsPerRecord) {
  CollectorOptions schedule;
  schedule.reread_after = DefaultAges();
  const LateRun run = RunLateTenant(schedule);
  std::set<std::string> unique(run.received.begin(), run.received.end());
  EXPECT_EQ(unique.size(), run.received.size()) << "a record state was forwarded twice";
  EXPECT_EQ(run.received.size(), run.states)
      << "a record state published within 60 minutes was missed";
  const double reads_per_state =
      static_cast<double>(run.rows_served) / static_cast<double>(run.states);
  EXPECT_LE(reads_per_state, 5.0);

  CollectorOptions full;
  full.lookback = minutes(60);
  const LateRun old = RunLateTenant(full);
  EXPECT_EQ(old.received.size(), old.states);
  const double old_reads = static_cast<double>(old.rows_served) / static_cast<double>(old.states);
  EXPECT_GE(old_reads, 30.0) << "the full lookback reads each record about 60 times";
  EXPECT_LT(run.rows_served * 6, old.rows_served);
}

TEST(CollectorReread, ARecordPublishedAfterTheLastReReadIsNotCollected) {
  Fixture f;
  f.options.reread_after = {minutes(15), minutes(30)};
  f.options.start_time = hours(0);
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({});
  const TimePoint start = f.Now();
  auto collector = f.Make(source, &keys);
  std::size_t within = 0;
  for (int minute = 0; minute <= 90; ++minute) {
    if (minute == 30)
      within = source.Publish(start + seconds(20), "within", "delivered");  // 30 min late
    if (minute == 45)
      source.Publish(start + minutes(1) + seconds(20), "beyond", "delivered");  // 44 min late
    Drain(*collector);
    f.clock.Advance(seconds(60));
  }
  EXPECT_EQ(f.intake.received, std::vector<std::string>{source.Record(within)});
}

TEST(CollectorReread, RestartInTheMiddleOfAReReadResumesAtItsPage) {
  Fixture f;
  f.options.reread_after = {minutes(15)};
  f.options.reread_merge_share = 0;
  f.options.start_time = hours(0);
  sekoia::testing::TestDir dir;
  FakeSource source({});            // pages of 3
  const TimePoint start = f.Now();  // 12:00
  for (int i = 0; i < 7; ++i)
    source.Publish(start + seconds(10 + i), "m" + std::to_string(i), "delivered");
  {
    KeysFile keys_file(dir.path() / "keys.txt");
    ForwardedKeys& keys = keys_file.keys;
    auto collector = f.Make(source, &keys);
    for (int minute = 0; minute < 16; ++minute) {
      Drain(*collector);
      f.clock.Advance(seconds(60));
    }
    ASSERT_EQ(f.intake.received.size(), 7u);
    // 12:16: [12:00, 12:01) is due for its 15-minute re-read, with a record published late.
    auto late = source.Publish(start + seconds(50), "late", "delivered");
    source.fail_call = source.calls + 2;  // its second page fails
    sekoia::StopSignal stop;
    EXPECT_THROW(collector->RunOnce(stop), sekoia::TransportError);
    const nlohmann::json saved = *f.checkpoints.saved;
    ASSERT_TRUE(saved.contains("reread")) << saved.dump();
    EXPECT_FALSE(saved.contains("window"));
    EXPECT_EQ(saved["reread"]["start"], "2026-01-21T12:00:00Z");
    EXPECT_EQ(saved["reread"]["end"], "2026-01-21T12:01:00Z");
    EXPECT_EQ(saved["reread"]["read_at"], "2026-01-21T12:16:00Z");
    EXPECT_EQ(Offset(saved["reread"]["next_link"]), "3");
    EXPECT_EQ(saved["most_recent_date_requested"], "2026-01-21T12:10:00Z")
        << "a re-read moves no first read";
    ASSERT_EQ(f.intake.received.size(), 7u);
    (void)late;
  }
  // The restarted trigger goes on from the page it had reached: the rest of the re-read.
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  auto restarted = f.Make(source, &keys);
  const int calls_before = source.calls;
  sekoia::StopSignal stop;
  ASSERT_TRUE(restarted->RunOnce(stop));
  EXPECT_EQ(Offset(source.urls[static_cast<std::size_t>(calls_before)]), "3");
  EXPECT_EQ(f.intake.received.size(), 8u);
  EXPECT_EQ(f.intake.received.back(), source.Record(7));
  EXPECT_FALSE(f.checkpoints.saved->contains("reread"));
  EXPECT_EQ(f.checkpoints.saved->at("rereads").size(), 9u)
      << "the windows after it still wait for theirs";
  // ... and does not repeat it.
  Drain(*restarted);
  for (const std::string& url :
       std::vector<std::string>(source.urls.begin() + calls_before, source.urls.end()))
    EXPECT_FALSE(Offset(url) == "0" && url.substr(0, 20) == "2026-01-21T12:00:00Z")
        << "re-read again: " << url;
}

TEST(CollectorReread, KeysAreKeptUntilTheLastReReadThenExpire) {
  Fixture f;
  f.options.reread_after = {minutes(15), minutes(30)};
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({});
  auto collector = f.Make(source, &keys);
  std::size_t most = 0;
  for (int cycle = 0; cycle < 120; ++cycle) {  // two hours, 5 records a minute, 4 of them late
    for (int i = 0; i < 5; ++i)
      source.Publish(f.Now() - minutes(5) - seconds(10 * i), "m" + std::to_string(cycle * 10 + i),
                     "delivered");
    f.clock.Advance(seconds(60));
    Drain(*collector);
    most = std::max(most, keys.size());
  }
  // At most the records of the last re-read age, plus its merge step (7.5 min) and the spans
  // merged into a re-read before.
  EXPECT_LE(most, 5u * 45);
  // At 14:00: m1190 (13:55, first read), m991 (13:33:50, forwarded by the 15-minute re-read,
  // its 30-minute one still to come) are kept; m741 (13:08:50, every re-read done) and m0 are not.
  EXPECT_EQ(f.Now(), TimePoint(*sekoia::ParseIso8601("2026-01-21T14:00:00Z")));
  EXPECT_TRUE(keys.Contains(RecordKey("m1190", "", "delivered")));
  EXPECT_TRUE(keys.Contains(RecordKey("m991", "", "delivered")))
      << "a key dropped before its last re-read";
  EXPECT_FALSE(keys.Contains(RecordKey("m741", "", "delivered")));
  EXPECT_FALSE(keys.Contains(RecordKey("m0", "", "delivered")));
  for (int cycle = 0; cycle < 45; ++cycle) {
    f.clock.Advance(seconds(60));
    Drain(*collector);
  }
  std::set<std::string> unique(f.intake.received.begin(), f.intake.received.end());
  EXPECT_EQ(unique.size(), f.intake.received.size());
  EXPECT_EQ(f.intake.received.size(), 600u);
  EXPECT_EQ(keys.size(), 0u) << "every re-read is done: no key is needed any more";
}

TEST(CollectorReread, ACheckpointWrittenWithAFullLookbackGetsItsRereads) {
  Fixture f;
  f.options.reread_after = {minutes(15), minutes(60)};
  f.checkpoints.saved = nlohmann::json{{"most_recent_date_requested", "2026-01-21T11:55:00Z"}};
  sekoia::testing::TestDir dir;
  {
    KeysFile earlier_file(dir.path() / "keys.txt");
    ForwardedKeys& earlier = earlier_file.keys;
    earlier.Add({{RecordKey("old", "", "delivered"), 0}});
    earlier.Persist();
  }
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({});
  auto collector = f.Make(source, &keys);
  ASSERT_EQ(collector->cursor().rereads.size(), 1u);
  EXPECT_EQ(collector->cursor().rereads[0].span.start, f.Now() - minutes(65));
  // Published late, within the last lookback the former version had read.
  auto late = source.Publish(f.Now() - minutes(40), "late", "delivered");
  for (int minute = 0; minute < 70; ++minute) {
    Drain(*collector);
    f.clock.Advance(seconds(60));
  }
  EXPECT_EQ(f.intake.received, std::vector<std::string>{source.Record(late)});
}

// The configuration loader refuses it, naming lookback (TriggerConfig.*LookbackTooLongForTheApi*);
// a collector given one all the same does not start.
TEST(CollectorLookback, TooLongForTheApiIsRefused) {
  Fixture f;
  f.options.lookback = hours(24 * 10);
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  FakeSource source({});
  EXPECT_THROW(f.Make(source, &keys), std::logic_error);
}

// The legacy service's windows are at most 6 hours; a day's frequency (the form allows it) is
// read in windows of 6 hours, one after the other, once a day's worth is due.
TEST(CollectorWindows, AFrequencyLongerThanTheApisWindowIsReadInWindowsOfItsLength) {
  Fixture f;
  f.options.frequency = hours(24);
  f.options.start_time = hours(24);
  f.options.timedelta = minutes(0);
  FakeSource source({f.Now() - hours(20), f.Now() - hours(1)});
  source.limits = {hours(6), hours(24 * 30) - minutes(10)};
  auto collector = f.Make(source);
  Drain(*collector);
  ASSERT_EQ(source.windows.size(), 4u);
  for (const auto& [start, end] : source.windows) EXPECT_EQ(end - start, hours(6));
  EXPECT_EQ(f.intake.received.size(), 2u);
  EXPECT_EQ(collector->cursor().next_start, f.Now());
}

// The events_lags sample of an exposition, if there is one.
std::optional<double> Lag(const sekoia::Metrics& metrics) {
  const std::string text = metrics.RenderPrometheus();
  const std::string prefix = "symphony_module_common_events_lags{intake_key=\"k\"} ";
  const std::size_t at = text.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + prefix.size()));
}

TEST(Collector, TheLagFollowsEveryAcknowledgedPageOfAWindow) {
  Fixture f;
  f.options.start_time = hours(72);
  const TimePoint now = f.Now();
  std::vector<TimePoint> times;
  for (int i = 0; i < 36; ++i) times.push_back(now - hours(72) + minutes(1) + hours(2) * i);
  FakeSource source(times, 3);
  auto collector = f.Make(source);
  std::vector<std::optional<double>> seen;  // before each page: the lag the pages before it left
  f.intake.on_forward = [&] {
    seen.push_back(Lag(f.metrics));
    f.clock.Advance(seconds(1));
  };
  Drain(*collector);
  ASSERT_EQ(seen.size(), 12u);
  EXPECT_FALSE(seen[0]) << "no sample before the first page is acknowledged";
  // After page 1 the window is read up to its records' 4-hour span: 72 h - 4 h behind.
  ASSERT_TRUE(seen[1]);
  EXPECT_EQ(*seen[1], 68 * 3600.0 + 1);
  for (std::size_t i = 2; i < seen.size(); ++i) {
    ASSERT_TRUE(seen[i]);
    EXPECT_EQ(*seen[i], *seen[i - 1] - 6 * 3600.0 + 1)
        << "page " << i << ": 6 hours read, 1 second spent";
  }
  // The window done: now - its end, in whole seconds.
  EXPECT_EQ(Lag(f.metrics), 300.0 + 12);
  EXPECT_NE(f.metrics.RenderPrometheus().find(
                "symphony_module_common_checkpoint_timestamp_seconds{intake_key=\"k\"} "),
            std::string::npos);
}

TEST(Collector, InvalidUtf8IsReplacedCountedAndWarnedOncePerWindow) {
  Fixture f;
  f.options.start_time = hours(3);
  const TimePoint now = f.Now();
  FakeSource source({now - hours(2)}, 2);
  source.Publish(now - minutes(100),
                 "a\xFF"
                 "b",
                 "Delivered");
  source.Publish(now - minutes(90), "c\xE2\x82", "Delivered");     // truncated
  source.Publish(now - minutes(80), "caf\xC3\xA9", "Delivered");   // valid
  source.Publish(now - minutes(70), "\xED\xA0\x80", "Delivered");  // a surrogate
  auto collector = f.Make(source);
  Drain(*collector);
  ASSERT_EQ(f.intake.received.size(), 5u);
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(f.intake.received[0], source.Record(0));
  EXPECT_EQ(f.intake.received[1], "{\"id\":\"a" + fffd + "b\",\"status\":\"Delivered\"}");
  EXPECT_EQ(f.intake.received[2], "{\"id\":\"c" + fffd + "\",\"status\":\"Delivered\"}");
  EXPECT_EQ(f.intake.received[3], source.Record(3));
  EXPECT_EQ(f.intake.received[4],
            "{\"id\":\"" + fffd + fffd + fffd + "\",\"status\":\"Delivered\"}");
  EXPECT_EQ(f.metrics.repaired(), 3u);
  int warnings = 0;
  for (const auto& [level, message] : f.logger.entries())
    warnings +=
        level == sekoia::LogLevel::kWarning && message.find("invalid UTF-8") != std::string::npos;
  EXPECT_EQ(warnings, 1) << "one warning for the window's 3 records over 3 pages";
  EXPECT_TRUE(f.logger.Contains(sekoia::LogLevel::kWarning, "3 record(s) of the window"));
}

}  // namespace
}  // namespace message_trace
