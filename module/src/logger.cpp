#include "sekoia/logger.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

#include "log_line.hpp"

namespace sekoia {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kCritical:
      return "critical";
  }
  return "info";
}

namespace detail {

std::string FormatMillis(TimePoint time) {
  const auto millis = std::chrono::floor<std::chrono::milliseconds>(time);
  const auto seconds = std::chrono::floor<std::chrono::seconds>(millis);
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[96];  // room for any int year, so the compiler can prove no truncation
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((millis - seconds).count()));
  return text;
}

std::string FormatLogLine(const std::string& date, LogLevel level, const std::string& message) {
  std::string name = LevelName(level);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return date + " " + name + " " + message + "\n";
}

}  // namespace detail
}  // namespace sekoia
