#include "reread_schedule.hpp"

#include <gtest/gtest.h>

#include "sekoia/errors.hpp"
#include "sekoia/time_format.hpp"

namespace message_trace {
namespace {

using sekoia::TimePoint;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint At(const std::string& hh_mm_ss) {
  return *sekoia::ParseIso8601("2026-01-21T" + hh_mm_ss + "Z");
}
Window Span(const std::string& from, const std::string& to) { return Window{At(from), At(to)}; }

RereadSchedule Schedule(std::vector<seconds> ages, double merge_share = 0,
                        seconds max_span = hours(24)) {
  return RereadSchedule(RereadScheduleOptions{std::move(ages), merge_share, max_span});
}

const std::vector<seconds> kDefaultAges{minutes(5), minutes(15), minutes(30), minutes(60)};

TEST(RereadSchedule, AWindowFirstReadAtTimedeltaIsReadAgainAtEachLaterAgeThenDropped) {
  const RereadSchedule schedule = Schedule(kDefaultAges);
  std::vector<PendingReread> pending;
  // First read 5 minutes after its end (timedelta): the 5-minute age is done by it.
  schedule.Record(pending, Span("12:00:00", "12:01:00"), At("12:06:00"));
  ASSERT_EQ(pending.size(), 1u);
  std::vector<TimePoint> reads;
  for (TimePoint now = At("12:06:00"); now <= At("14:00:00"); now += seconds(30)) {
    if (auto due = schedule.Next(pending, now)) {
      EXPECT_EQ(due->span.start, At("12:00:00"));
      EXPECT_EQ(due->span.end, At("12:01:00"));
      reads.push_back(now);
      schedule.Record(pending, due->span, now);
    }
  }
  EXPECT_EQ(reads, (std::vector<TimePoint>{At("12:16:00"), At("12:31:00"), At("13:01:00")}));
  EXPECT_TRUE(pending.empty()) << "a span read at its last age is done";
}

TEST(RereadSchedule, AWindowFirstReadLateSkipsTheAgesItHasPassed) {
  const RereadSchedule schedule = Schedule(kDefaultAges);
  std::vector<PendingReread> pending;
  schedule.Record(pending, Span("12:00:00", "12:01:00"), At("12:45:00"));  // catching up
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(schedule.DueAt(pending[0]), At("13:01:00"));
  schedule.Record(pending, Span("12:01:00", "12:02:00"), At("13:30:00"));  // past the last age
  EXPECT_EQ(pending.size(), 1u) << "a span first read after its last age needs no re-read";
}

TEST(RereadSchedule, DueTimesRoundUpToAQuarterOfTheAgeSoAdjacentWindowsMerge) {
  const RereadSchedule schedule = Schedule({minutes(15)}, 0.25);
  std::vector<PendingReread> pending;
  schedule.Record(pending, Span("12:00:00", "12:01:00"), At("12:06:00"));
  schedule.Record(pending, Span("12:01:00", "12:02:00"), At("12:07:00"));
  schedule.Record(pending, Span("12:02:00", "12:03:00"), At("12:08:00"));
  ASSERT_EQ(pending.size(), 3u);
  // 12:16, 12:17 and 12:18 rounded up to the 3 min 45 s grid: 12:18:45 for all three.
  for (const PendingReread& p : pending) EXPECT_EQ(schedule.DueAt(p), At("12:18:45"));
  EXPECT_FALSE(schedule.Next(pending, At("12:18:44")));
  auto due = schedule.Next(pending, At("12:18:45"));
  ASSERT_TRUE(due);
  EXPECT_EQ(due->span.start, At("12:00:00"));
  EXPECT_EQ(due->span.end, At("12:03:00"));
  EXPECT_EQ(due->due, At("12:18:45"));
  schedule.Record(pending, due->span, At("12:18:45"));
  EXPECT_TRUE(pending.empty());
}

TEST(RereadSchedule, AMergeTakesOnlyAdjacentSpansThatAreDueAndNoLongerThanTheLimit) {
  const RereadSchedule schedule = Schedule({minutes(15), minutes(60)}, 0, minutes(2));
  std::vector<PendingReread> pending;
  schedule.Record(pending, Span("12:00:00", "12:01:00"), At("12:06:00"));
  schedule.Record(pending, Span("12:01:00", "12:02:00"), At("12:07:00"));
  schedule.Record(pending, Span("12:02:00", "12:03:00"), At("12:08:00"));
  schedule.Record(pending, Span("12:04:00", "12:05:00"), At("12:10:00"));  // after a gap
  auto due = schedule.Next(pending, At("12:16:00"));
  ASSERT_TRUE(due);
  EXPECT_EQ(due->span.end, At("12:01:00")) << "12:01-12:02 is not due before 12:17";
  due = schedule.Next(pending, At("12:30:00"));
  ASSERT_TRUE(due);
  EXPECT_EQ(due->span.start, At("12:00:00"));
  EXPECT_EQ(due->span.end, At("12:02:00")) << "the merge is at most 2 minutes long";
  schedule.Record(pending, due->span, At("12:30:00"));
  // The merged span is now one, due at its newest end's next age.
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].span.end, At("12:02:00"));
  EXPECT_EQ(schedule.DueAt(pending[0]), At("13:02:00"));
  due = schedule.Next(pending, At("12:30:00"));
  ASSERT_TRUE(due);
  EXPECT_EQ(due->span.start, At("12:02:00"));
  EXPECT_EQ(due->span.end, At("12:03:00")) << "12:04-12:05 is not adjacent";
}

TEST(RereadSchedule, ARecordedReadReplacesOnlyThePartsItCovers) {
  const RereadSchedule schedule = Schedule({minutes(15), minutes(60)});
  std::vector<PendingReread> pending;
  schedule.Record(pending, Span("12:00:00", "12:10:00"), At("12:15:00"));
  schedule.Record(pending, Span("12:02:00", "12:05:00"), At("12:40:00"));
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].span.end, At("12:02:00"));
  EXPECT_EQ(pending[0].read_at, At("12:15:00"));
  EXPECT_EQ(pending[1].span.start, At("12:02:00"));
  EXPECT_EQ(pending[1].read_at, At("12:40:00"));
  EXPECT_EQ(pending[2].span.start, At("12:05:00"));
  EXPECT_EQ(pending[2].span.end, At("12:10:00"));
  // The left part ends earlier: at 12:15 it was 13 minutes old, so its 15-minute re-read is first.
  EXPECT_EQ(schedule.NextDue(pending), At("12:17:00"));
}

TEST(RereadSchedule, KeysAreNeededFromTheOldestPendingSpanOnly) {
  const RereadSchedule schedule = Schedule({minutes(15), minutes(60)});
  std::vector<PendingReread> pending;
  EXPECT_EQ(RereadSchedule::KeyHorizon(pending, At("12:30:00")), At("12:30:00"));
  schedule.Record(pending, Span("12:00:00", "12:01:00"), At("12:06:00"));
  schedule.Record(pending, Span("12:01:00", "12:02:00"), At("12:07:00"));
  EXPECT_EQ(RereadSchedule::KeyHorizon(pending, At("12:30:00")), At("12:00:00"));
  schedule.Record(pending, Span("12:00:00", "12:01:00"), At("13:01:00"));  // its last re-read
  EXPECT_EQ(RereadSchedule::KeyHorizon(pending, At("13:01:00")), At("12:01:00"));
}

TEST(RereadSchedule, WithoutAgesNothingIsPending) {
  const RereadSchedule schedule = Schedule({});
  std::vector<PendingReread> pending;
  schedule.Record(pending, Span("12:00:00", "12:01:00"), At("12:06:00"));
  EXPECT_TRUE(pending.empty());
  EXPECT_FALSE(schedule.enabled());
  EXPECT_EQ(schedule.last_age(), seconds(0));
}

TEST(RereadAges, ParsesAscendingMinutesAndNamesTheArgumentOnError) {
  EXPECT_EQ(ParseRereadAges("5, 15,30,60", "reread_after_minutes", 1440), kDefaultAges);
  EXPECT_EQ(ParseRereadAges("0.5,360", "reread_after_minutes", 1440),
            (std::vector<seconds>{seconds(30), hours(6)}));
  for (const char* bad : {"", "5,x", "15,5", "5,5", "0", "-5", "5,,15", "2000", "nan"}) {
    try {
      ParseRereadAges(bad, "reread_after_minutes", 1440);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const sekoia::ConfigError& error) {
      EXPECT_EQ(std::string(error.what()).rfind("reread_after_minutes: ", 0), 0u) << error.what();
      EXPECT_NE(std::string(error.what()).find("such as 5,15,30,60"), std::string::npos)
          << error.what();
    }
  }
}

TEST(RereadAges, ALookbackSetsTheLastAge) {
  EXPECT_EQ(ApplyLookback(kDefaultAges, minutes(60)), kDefaultAges);
  EXPECT_EQ(ApplyLookback(kDefaultAges, minutes(20)),
            (std::vector<seconds>{minutes(5), minutes(15), minutes(20)}));
  EXPECT_EQ(ApplyLookback(kDefaultAges, hours(6)),
            (std::vector<seconds>{minutes(5), minutes(15), minutes(30), minutes(60), hours(6)}));
  EXPECT_TRUE(ApplyLookback(kDefaultAges, seconds(0)).empty())
      << "lookback 0 reads each window once";
}

}  // namespace
}  // namespace message_trace
