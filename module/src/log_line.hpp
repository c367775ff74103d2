#pragma once

// The stderr line format shared by StreamLogger and PlatformLogger.
#include <string>

#include "sekoia/clock.hpp"
#include "sekoia/logger.hpp"

namespace sekoia::detail {

/** `2026-01-21T14:12:34.567Z`: the date format of the logs API and of the stderr lines. */
std::string FormatMillis(TimePoint time);

/** `<date> <LEVEL> <message>\n`, the level in capitals. */
std::string FormatLogLine(const std::string& date, LogLevel level, const std::string& message);

}  // namespace sekoia::detail
