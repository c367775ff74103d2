#include "sekoia/time_format.hpp"

#include <cstdio>
#include <ctime>

namespace sekoia {
namespace {

bool Digits(std::string_view text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), so no
// timegm() and no time zone database is involved.
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<TimePoint> ParseIso8601(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (!Digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !Digits(text, 11, 2, hour) ||
      text[13] != ':' || !Digits(text, 14, 2, minute) || text[16] != ':' ||
      !Digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    std::size_t start = pos;
    std::int64_t scale = 100000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      micros += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset_seconds = 0;
  if (pos < text.size()) {
    char zone = text[pos];
    if ((zone == 'Z' || zone == 'z') && pos + 1 == text.size()) {
      ++pos;
    } else if (zone == '+' || zone == '-') {
      int oh, om;
      if (!Digits(text, pos + 1, 2, oh)) return std::nullopt;
      std::size_t mpos = pos + 3;
      if (mpos < text.size() && text[mpos] == ':') ++mpos;
      if (!Digits(text, mpos, 2, om) || mpos + 2 != text.size() || oh > 23 || om > 59)
        return std::nullopt;
      offset_seconds = (zone == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else {
      return std::nullopt;
    }
  }
  std::int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  // TimePoint counts nanoseconds in 64 bits: years 1678 to 2261 only. A date outside (found by
  // fuzzing: "1013-..." in a record) would overflow the conversion, so it is not a date here.
  constexpr std::int64_t kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count() - 1;
  if (seconds <= -kLimit || seconds >= kLimit) return std::nullopt;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(seconds) + std::chrono::microseconds(micros)));
}

std::string FormatIso8601(TimePoint time) {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  std::int64_t seconds = micros / 1000000;
  std::int64_t fraction = micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  if (fraction == 0) {
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(fraction));
  }
  return buffer;
}

std::string FormatNaiveIso(TimePoint time) {
  std::string text = FormatIso8601(time);
  text.pop_back();  // the 'Z': datetime.now(UTC).replace(tzinfo=None) carries no zone
  return text;
}

std::optional<TimePoint> ParseMsJsonDate(std::string_view text) {
  constexpr std::string_view kPrefix = "/Date(";
  if (text.substr(0, kPrefix.size()) != kPrefix || text.size() < kPrefix.size() + 3)
    return std::nullopt;
  std::size_t pos = kPrefix.size();
  bool negative = false;
  if (text[pos] == '-') {
    negative = true;
    ++pos;
  }
  std::size_t start = pos;
  std::int64_t ms = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 15) {
    ms = ms * 10 + (text[pos] - '0');
    ++pos;
  }
  if (pos == start) return std::nullopt;
  // An optional "+hhmm" suffix only says in which zone the value was written; the number is UTC.
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    ++pos;
    std::size_t zone_start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos - zone_start != 4) return std::nullopt;
  }
  if (text.substr(pos) != ")/") return std::nullopt;
  // 15 digits of milliseconds reach far past what TimePoint's nanoseconds hold (years 1678 to
  // 2261).
  constexpr std::int64_t kLimit =
      std::chrono::duration_cast<std::chrono::milliseconds>(TimePoint::duration::max()).count() - 1;
  if (ms >= kLimit) return std::nullopt;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::milliseconds(negative ? -ms : ms)));
}

double Seconds(std::chrono::system_clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

std::string HumanDuration(std::chrono::seconds duration) {
  long long s = duration.count();
  if (s < 0) s = 0;
  char buffer[48];
  if (s >= 86400) {
    std::snprintf(buffer, sizeof buffer, "%lldd %lldh", s / 86400, (s % 86400) / 3600);
  } else if (s >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldh %lldm", s / 3600, (s % 3600) / 60);
  } else if (s >= 60) {
    std::snprintf(buffer, sizeof buffer, "%lldm %llds", s / 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%llds", s);
  }
  return buffer;
}

}  // namespace sekoia
