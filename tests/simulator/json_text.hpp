#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mtsim {

/** How non-ASCII characters are written inside JSON strings. */
enum class JsonEscaping {
  kUtf8,   ///< raw UTF-8 bytes (what Graph usually sends)
  kAscii,  ///< `\uXXXX`, with surrogate pairs past the BMP (what some serializers send)
};

/**
 * Appends `text` (UTF-8) to `out` as a quoted JSON string. `"` and `\` and control
 * characters are always escaped; control characters other than \b\f\n\r\t as `\u00XX`.
 */
void AppendJsonString(std::string_view text, JsonEscaping escaping, std::string& out);

/** Shorthand for AppendJsonString with raw UTF-8, returning the quoted string. */
std::string JsonQuote(std::string_view text);

/** The 64-bit identity of an event: a hash of its exact bytes. */
std::uint64_t EventHash(std::string_view bytes);

}  // namespace mtsim
