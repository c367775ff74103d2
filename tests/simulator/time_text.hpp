#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mtsim {

/** Microseconds since the Unix epoch, UTC. The simulator's single time representation. */
using Micros = std::int64_t;

constexpr Micros kMicrosPerSecond = 1000000;
constexpr Micros kMicrosPerDay = 86400 * kMicrosPerSecond;

/** Wall-clock now. */
Micros NowMicros();

/**
 * Parses ISO 8601 `YYYY-MM-DDTHH:MM:SS[.f{1,7}][Z|+HH:MM|-HH:MM]`; no zone means UTC
 * (the Reporting Web Service's habit). Digits past microseconds are dropped.
 */
std::optional<Micros> ParseIsoTime(std::string_view text);

/** `2026-01-21T14:12:34Z` (Graph's receivedDateTime: whole seconds). */
std::string FormatIsoSeconds(Micros t);
/** `2026-01-21T14:12:34.123Z`. */
std::string FormatIsoMillis(Micros t);
/** `2022-09-05T18:10:13.4907650` (Reporting light shape, 7 digits, no zone). */
std::string FormatIsoTicks(Micros t);
/** `/Date(1658751973240)/` (Reporting verbose shape, milliseconds). */
std::string FormatMsDate(Micros t);
/** `2026-01-21 14:12:34Z` (Azure AD error timestamps). */
std::string FormatAadTimestamp(Micros t);
/** `Wed, 21 Oct 2015 07:28:00 GMT` (RFC 7231 IMF-fixdate, for Retry-After). */
std::string FormatHttpDate(Micros t);

}  // namespace mtsim
