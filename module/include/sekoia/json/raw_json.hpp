#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace sekoia::json {

/**
 * A validating, allocation-free reader of JSON text that hands out the exact bytes of values,
 * so records can be forwarded as the service sent them without a DOM and a re-serialization.
 * Every function throws sekoia::ParseError on invalid JSON (RFC 8259, nesting up to 64 levels).
 */

/** Calls `on_member(key_raw, value_raw)` for each member of the object `text` (spaces around
 *  it allowed). `key_raw` is the key between its quotes, still escaped; `value_raw` the value's
 *  exact bytes. Returning false from the callback stops the walk early (the rest is not checked). */
void ForEachMember(std::string_view text,
                   const std::function<bool(std::string_view key_raw, std::string_view value_raw)>& on_member);

/** Calls `on_element(value_raw)` for each element of the array `text`. */
void ForEachElement(std::string_view text, const std::function<void(std::string_view value_raw)>& on_element);

/** Unescapes a string value given with its quotes (`"a\"b"` -> `a"b`); throws if `raw` is not a string. */
std::string UnescapeString(std::string_view raw);

/** True when `raw` is a JSON string (starts with a quote). */
inline bool IsString(std::string_view raw) { return !raw.empty() && raw.front() == '"'; }

/** Appends `text` to `out` as a JSON string literal, quotes included. */
void AppendQuoted(std::string& out, std::string_view text);

}  // namespace sekoia::json
