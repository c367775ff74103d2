#pragma once

#include <string>

namespace sekoia {

/** The platform's log levels, least severe first. */
enum class LogLevel { kDebug, kInfo, kWarning, kError, kCritical };

/** The level as the platform's logs API spells it: "debug", "info", "warning", "error",
 *  "critical". */
const char* LevelName(LogLevel level);

/** Where the module's messages go. Thread-safe. StreamLogger (stream_logger.hpp) and
 *  PlatformLogger (platform_logger.hpp) pass every message through a Redactor first. */
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, const std::string& message) = 0;
  void Debug(const std::string& m) { Log(LogLevel::kDebug, m); }
  void Info(const std::string& m) { Log(LogLevel::kInfo, m); }
  void Warning(const std::string& m) { Log(LogLevel::kWarning, m); }
  void Error(const std::string& m) { Log(LogLevel::kError, m); }
  void Critical(const std::string& m) { Log(LogLevel::kCritical, m); }
};

}  // namespace sekoia
