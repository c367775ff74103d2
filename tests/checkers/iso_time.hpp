#pragma once
// UTC times as the trigger and the simulator write them: 2026-12-07T08:00:00Z (fractions ignored).

#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

namespace checkers {

/** Epoch seconds of "YYYY-MM-DDTHH:MM:SS[.fraction]Z", or nullopt. */
inline std::optional<long long> ParseIsoSeconds(const std::string& text) {
  std::tm tm{};
  char rest[32] = {};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, rest) != 7 ||
      rest[std::string(rest).size() - 1] != 'Z') {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<long long>(timegm(&tm));
}

inline std::string FormatIsoSeconds(long long epoch) {
  const std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace checkers
