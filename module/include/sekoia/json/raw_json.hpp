#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sekoia::json {

/**
 * A validating, allocation-free reader of JSON text that hands out the exact bytes of values,
 * so records can be forwarded as the service sent them without a DOM and a re-serialization.
 * Every function throws sekoia::ParseError on invalid JSON (RFC 8259, nesting up to 64 levels).
 */

/**
 * Walks JSON text forward, in one pass: the caller enters the objects and arrays it wants to
 * look into and skips the other values, so each byte is read once. Validates what it reads;
 * ExpectEnd checks that the text was a single complete value.
 *
 *     JsonReader reader(text);
 *     reader.EnterObject();
 *     std::string_view key;
 *     while (reader.NextMember(key)) {
 *       if (key == "value") ...read it (EnterArray, NextElement, ...)...
 *       else reader.SkipValue();
 *     }
 *     reader.ExpectEnd();
 *
 * After NextMember or NextElement returned true, the caller must read the value (EnterObject,
 * EnterArray or SkipValue) before the next call. `text` must outlive the reader and the views
 * it returns. Not thread-safe.
 */
class JsonReader final {
 public:
  explicit JsonReader(std::string_view text);

  /** The first byte of the value at the cursor (spaces skipped): '{', '[', '"', 't', 'f', 'n',
   *  '-' or a digit for a value, anything else for invalid text, '\0' at the end. */
  char Peek();
  /** Enters the object at the cursor; throws ParseError if the value there is not an object. */
  void EnterObject();
  /** Enters the array at the cursor; throws ParseError if the value there is not an array. */
  void EnterArray();
  /** In an object: true with the next member's key (between its quotes, still escaped) and the
   *  cursor on its value; false when the object ends (the cursor then is just past its '}'). */
  bool NextMember(std::string_view& key_raw);
  /** In an array: true with the cursor on the next element; false when the array ends. */
  bool NextElement();
  /** Reads the value at the cursor, whatever it is, and returns its exact bytes. */
  std::string_view SkipValue();
  /** Offset of the cursor in the text: where the next value starts, or just past a container
   *  that NextMember or NextElement has just closed. */
  std::size_t position() const { return pos_; }
  /** Throws ParseError unless every container entered was closed and only spaces remain. */
  void ExpectEnd();

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;                ///< containers entered and not yet closed
  std::uint64_t in_object_ = 0;  ///< bit d: the container at depth d+1 is an object
  bool first_ = false;           ///< the innermost container has given no member or element yet
};

/** Calls `on_member(key_raw, value_raw)` for each member of the object `text` (spaces around
 *  it allowed). `key_raw` is the key between its quotes, still escaped; `value_raw` the value's
 *  exact bytes. Returning false from the callback stops the walk early (the rest is not checked).
 */
void ForEachMember(
    std::string_view text,
    const std::function<bool(std::string_view key_raw, std::string_view value_raw)>& on_member);

/** Calls `on_element(value_raw)` for each element of the array `text`. */
void ForEachElement(std::string_view text,
                    const std::function<void(std::string_view value_raw)>& on_element);

/** Unescapes a string value given with its quotes (`"a\"b"` -> `a"b`); throws if `raw` is not a
 * string. */
std::string UnescapeString(std::string_view raw);

/** The text of the string value `raw` (quotes included): a view into `raw` when it holds no
 *  escape, the common case, else `raw` unescaped into `scratch` and a view of it. Throws
 *  ParseError if `raw` is not a string. */
std::string_view StringText(std::string_view raw, std::string& scratch);

/** True when `raw` is a JSON string (starts with a quote). */
inline bool IsString(std::string_view raw) { return !raw.empty() && raw.front() == '"'; }

/** The length of `text` once written as a JSON string literal, quotes included. */
std::size_t QuotedSize(std::string_view text);

/** Appends `text` to `out` as a JSON string literal, quotes included. */
void AppendQuoted(std::string& out, std::string_view text);

/** Writes `text` at `dst` as a JSON string literal, quotes included: exactly QuotedSize(text)
 *  bytes, which `dst` must have room for (and nothing past them). Returns the end of what was
 *  written. For callers that size a whole document first, so that each text is scanned once. */
char* WriteQuoted(char* dst, std::string_view text);

/** The offset of the first byte of `text` that does not belong to well-formed UTF-8 (RFC 3629:
 *  no overlong form, no surrogate, nothing past U+10FFFF, no truncated sequence), or
 *  `text.size()` when it is all well-formed. ASCII is checked 16 bytes at a time. */
std::size_t FindInvalidUtf8(std::string_view text);

/** True when `text` is well-formed UTF-8. */
inline bool IsValidUtf8(std::string_view text) { return FindInvalidUtf8(text) == text.size(); }

/** Writes `text` to `out` (replacing what it held, keeping its capacity) with each maximal
 *  ill-formed subpart replaced by U+FFFD (the Unicode standard's "substitution of maximal
 *  subparts", as Python's `errors="replace"` and browsers do: a truncated sequence gives one
 *  U+FFFD, an overlong or surrogate form one per byte). Returns the number of replacements.
 *  Bytes under 0x80 are kept, so JSON text stays JSON text with the same structure. */
std::size_t RepairUtf8(std::string_view text, std::string& out);

}  // namespace sekoia::json
