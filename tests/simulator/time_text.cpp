#include "time_text.hpp"

#include <chrono>
#include <cstdio>

namespace mtsim {
namespace {

// Howard Hinnant's civil-calendar algorithms: exact for the proleptic Gregorian calendar.
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month, day, hour, minute, second;
  std::int64_t micros;  // within the second
  unsigned weekday;     // 0 = Sunday
};

Civil ToCivil(Micros t) {
  std::int64_t days = t / kMicrosPerDay;
  Micros rest = t % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  Civil c{};
  c.weekday = static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = static_cast<std::int64_t>(yoe) + era * 400 + (c.month <= 2);
  const std::int64_t secs = rest / kMicrosPerSecond;
  c.micros = rest % kMicrosPerSecond;
  c.hour = static_cast<unsigned>(secs / 3600);
  c.minute = static_cast<unsigned>(secs / 60 % 60);
  c.second = static_cast<unsigned>(secs % 60);
  return c;
}

bool ReadDigits(std::string_view text, size_t& pos, size_t count, unsigned& value) {
  value = 0;
  for (size_t i = 0; i < count; ++i, ++pos) {
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') return false;
    value = value * 10 + static_cast<unsigned>(text[pos] - '0');
  }
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// Writes `value` as exactly `width` decimal digits ending just before `end`.
void PutDigits(char* end, std::int64_t value, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// `YYYY-MM-DDTHH:MM:SS[.f{digits}]{zone}`; 7 digits are .NET ticks (the last one always 0).
// Hand-formatted: start-up formats a time for each of up to millions of records.
std::string FormatIso(Micros t, int digits, const char* zone) {
  const Civil c = ToCivil(t);
  char buf[40] = "0000-00-00T00:00:00";
  PutDigits(buf + 4, c.year, 4);
  PutDigits(buf + 7, c.month, 2);
  PutDigits(buf + 10, c.day, 2);
  PutDigits(buf + 13, c.hour, 2);
  PutDigits(buf + 16, c.minute, 2);
  PutDigits(buf + 19, c.second, 2);
  std::string out(buf, 19);
  if (digits > 0) {
    char fraction[8];
    PutDigits(fraction + 7, c.micros * 10, 7);
    out += '.';
    out.append(fraction, static_cast<size_t>(digits));
  }
  out += zone;
  return out;
}

}  // namespace

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<Micros> ParseIsoTime(std::string_view text) {
  size_t pos = 0;
  unsigned year, month, day, hour, minute, second;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day) || pos >= text.size() ||
      (text[pos] != 'T' && text[pos] != 't')) {
    return std::nullopt;
  }
  ++pos;
  if (!ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  Micros fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t first = pos;
    Micros scale = 100000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == first || pos - first > 9) return std::nullopt;
  }
  Micros offset = 0;
  if (pos < text.size()) {
    if (text[pos] == 'Z' || text[pos] == 'z') {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      const int sign = text[pos] == '+' ? 1 : -1;
      ++pos;
      unsigned oh, om;
      if (!ReadDigits(text, pos, 2, oh) || !Expect(text, pos, ':') ||
          !ReadDigits(text, pos, 2, om) || oh > 23 || om > 59) {
        return std::nullopt;
      }
      offset = sign * static_cast<Micros>(oh * 3600 + om * 60) * kMicrosPerSecond;
    }
  }
  if (pos != text.size()) return std::nullopt;
  const Micros days = DaysFromCivil(year, month, day);
  return days * kMicrosPerDay +
         static_cast<Micros>(hour * 3600 + minute * 60 + second) * kMicrosPerSecond + fraction -
         offset;
}

std::string FormatIsoSeconds(Micros t) { return FormatIso(t, 0, "Z"); }

std::string FormatIsoMillis(Micros t) { return FormatIso(t, 3, "Z"); }

std::string FormatIsoTicks(Micros t) { return FormatIso(t, 7, ""); }

std::string FormatMsDate(Micros t) {
  const Micros ms = t >= 0 ? t / 1000 : -((-t + 999) / 1000);
  return "/Date(" + std::to_string(ms) + ")/";
}

std::string FormatAadTimestamp(Micros t) {
  const Civil c = ToCivil(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02u:%02u:%02uZ", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::string FormatHttpDate(Micros t) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const Civil c = ToCivil(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02u:%02u:%02u GMT", kDays[c.weekday], c.day,
                kMonths[c.month - 1], static_cast<long long>(c.year), c.hour, c.minute, c.second);
  return buf;
}

}  // namespace mtsim
