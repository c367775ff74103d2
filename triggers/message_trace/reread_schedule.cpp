#include "reread_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "sekoia/errors.hpp"

namespace message_trace {
namespace {

using std::chrono::seconds;

sekoia::TimePoint RoundUp(sekoia::TimePoint time, seconds step) {
  const auto since_epoch = std::chrono::duration_cast<seconds>(time.time_since_epoch());
  auto steps = since_epoch.count() / step.count();
  if (sekoia::TimePoint(seconds(steps * step.count())) < time) ++steps;
  return sekoia::TimePoint(seconds(steps * step.count()));
}

}  // namespace

RereadSchedule::RereadSchedule(RereadScheduleOptions options) : options_(std::move(options)) {}

seconds RereadSchedule::last_age() const {
  return options_.ages.empty() ? seconds(0) : options_.ages.back();
}

std::optional<sekoia::TimePoint> RereadSchedule::DueAt(const PendingReread& pending) const {
  const auto age = pending.read_at - pending.span.end;
  for (const seconds next : options_.ages) {
    if (next <= age) continue;
    // Rounded up on a grid of the epoch, so the spans due within one step are read together,
    // whatever the order they were read in or a restart.
    const seconds step(
        std::max<seconds::rep>(1, static_cast<seconds::rep>(next.count() * options_.merge_share)));
    return RoundUp(pending.span.end + next, step);
  }
  return std::nullopt;
}

std::optional<sekoia::TimePoint> RereadSchedule::NextDue(
    const std::vector<PendingReread>& pending) const {
  std::optional<sekoia::TimePoint> earliest;
  for (const PendingReread& p : pending) {
    const auto due = DueAt(p);
    if (due && (!earliest || *due < *earliest)) earliest = due;
  }
  return earliest;
}

std::optional<DueReread> RereadSchedule::Next(const std::vector<PendingReread>& pending,
                                              sekoia::TimePoint now) const {
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const auto due = DueAt(pending[i]);
    if (!due || *due > now) continue;
    DueReread reread{pending[i].span, *due};
    for (std::size_t j = i + 1; j < pending.size(); ++j) {
      const auto next_due = DueAt(pending[j]);
      if (pending[j].span.start != reread.span.end || !next_due || *next_due > now ||
          pending[j].span.end - reread.span.start > options_.max_span)
        break;
      reread.span.end = pending[j].span.end;
    }
    return reread;
  }
  return std::nullopt;
}

void RereadSchedule::Record(std::vector<PendingReread>& pending, const Window& span,
                            sekoia::TimePoint read_at) const {
  std::vector<PendingReread> kept;
  kept.reserve(pending.size() + 2);
  for (const PendingReread& p : pending) {
    if (p.span.end <= span.start || p.span.start >= span.end) {
      kept.push_back(p);
      continue;
    }
    if (p.span.start < span.start) kept.push_back({Window{p.span.start, span.start}, p.read_at});
    if (p.span.end > span.end) kept.push_back({Window{span.end, p.span.end}, p.read_at});
  }
  PendingReread read{span, read_at};
  if (DueAt(read)) kept.push_back(read);
  std::sort(kept.begin(), kept.end(), [](const PendingReread& a, const PendingReread& b) {
    return a.span.start < b.span.start;
  });
  pending = std::move(kept);
}

sekoia::TimePoint RereadSchedule::KeyHorizon(const std::vector<PendingReread>& pending,
                                             sekoia::TimePoint next_start) {
  sekoia::TimePoint horizon = next_start;
  for (const PendingReread& p : pending) horizon = std::min(horizon, p.span.start);
  return horizon;
}

std::vector<seconds> ParseRereadAges(const std::string& text, const std::string& argument,
                                     double max_minutes) {
  std::vector<seconds> ages;
  const std::string fix =
      "; give ascending minutes after a window's end, separated by commas, such as 5,15,30,60";
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    std::string part = text.substr(pos, comma - pos);
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    char* end = nullptr;
    const double minutes = part.empty() ? 0 : std::strtod(part.c_str(), &end);
    if (part.empty() || end != part.c_str() + part.size() || !std::isfinite(minutes))
      throw sekoia::ConfigError(argument + ": '" + part.substr(0, 20) +
                                "' is not a number of minutes" + fix);
    if (minutes <= 0 || minutes > max_minutes)
      throw sekoia::ConfigError(argument + ": " + part + " is not within (0, " +
                                std::to_string(static_cast<int>(max_minutes)) + "] minutes" + fix);
    const seconds age(static_cast<seconds::rep>(std::llround(minutes * 60)));
    if (!ages.empty() && age <= ages.back())
      throw sekoia::ConfigError(argument + ": " + part + " does not come after the age before it" +
                                fix);
    ages.push_back(age);
    pos = comma + 1;
  }
  return ages;
}

std::vector<seconds> ApplyLookback(std::vector<seconds> ages, seconds lookback) {
  if (lookback.count() <= 0) return {};
  ages.erase(
      std::remove_if(ages.begin(), ages.end(), [lookback](seconds age) { return age >= lookback; }),
      ages.end());
  ages.push_back(lookback);
  return ages;
}

}  // namespace message_trace
