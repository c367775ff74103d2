#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sekoia/clock.hpp"

namespace sekoia {

/**
 * Parses ISO 8601 date-times: `2026-01-21T14:12:34Z`, with optional fractional seconds
 * (any digits, truncated to microseconds), a `Z`, a `+hh:mm`/`-hh:mm` offset, or no zone
 * (read as UTC, as the Reporting Web Service writes it). Returns nullopt when invalid.
 */
std::optional<TimePoint> ParseIso8601(std::string_view text);

/** Formats as `2026-01-21T14:12:34Z`, or with `.ffffff` when the time has microseconds. */
std::string FormatIso8601(TimePoint time);

/** Python's isoformat() of a naive UTC datetime, as the SDK writes log and health dates:
 *  `2026-12-02T13:04:23.123456`, or `2026-12-02T13:04:23` at 0 microseconds; no zone. */
std::string FormatNaiveIso(TimePoint time);

/** Parses `/Date(1658751973240)/` (milliseconds since the epoch, optional offset suffix). */
std::optional<TimePoint> ParseMsJsonDate(std::string_view text);

/** Seconds of a duration as a double, for logs and metrics. */
double Seconds(std::chrono::system_clock::duration duration);

/** "3d 4h", "12m 5s": a short human duration for progress lines. */
std::string HumanDuration(std::chrono::seconds duration);

}  // namespace sekoia
