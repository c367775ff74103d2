#include "sekoia/json/raw_json.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sekoia/errors.hpp"

namespace sekoia::json {
namespace {

constexpr int kMaxDepth = 64;

// The bytes a JSON string cannot hold as they are: the quote, the backslash, control characters.
inline bool IsSpecial(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

#if defined(__SSE2__)
// Bit i is set when byte i of the 16 in `v` is special. SSE2 is part of x86-64: strings are
// scanned 16 bytes at a time, which matters as every record of a page goes through here twice
// (read, then escaped into a batch).
inline unsigned SpecialMask(__m128i v) {
  const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
  return static_cast<unsigned>(
      _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)));
}
inline __m128i Load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
#endif

// The offset of the first special byte at or after `pos`, or `size` when there is none.
inline std::size_t FindSpecial(const char* data, std::size_t pos, std::size_t size) {
#if defined(__SSE2__)
  for (; pos + 16 <= size; pos += 16) {
    unsigned mask = SpecialMask(Load16(data + pos));
    if (mask != 0) return pos + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  for (; pos < size; ++pos) {
    if (IsSpecial(static_cast<unsigned char>(data[pos]))) return pos;
  }
  return size;
}

// A cursor over the text; every Scan* function leaves `pos` just past what it read.
struct Cursor {
  std::string_view text;
  std::size_t pos = 0;

  [[noreturn]] void Fail(const char* what) const {
    throw ParseError(std::string("invalid JSON at byte ") + std::to_string(pos) + ": " + what);
  }
  void SkipSpace() {
    while (pos < text.size()) {
      char c = text[pos];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
      ++pos;
    }
  }
  char Peek() const { return pos < text.size() ? text[pos] : '\0'; }
  void Expect(char c, const char* what) {
    if (Peek() != c) Fail(what);
    ++pos;
  }

  static bool IsHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  void ScanString() {
    Expect('"', "expected a string");
    const char* data = text.data();
    const std::size_t size = text.size();
    while (true) {
      pos = FindSpecial(data, pos, size);
      if (pos == size) Fail("unterminated string");
      const char c = data[pos];
      if (c == '"') {
        ++pos;
        return;
      }
      if (c != '\\') Fail("control character in a string");
      ++pos;  // the backslash
      char e = Peek();
      if (e == 'u') {
        if (pos + 5 > size || !IsHex(data[pos + 1]) || !IsHex(data[pos + 2]) ||
            !IsHex(data[pos + 3]) || !IsHex(data[pos + 4]))
          Fail("bad \\u escape");
        pos += 5;
      } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                 e == 'r' || e == 't') {
        ++pos;
      } else {
        Fail("bad escape");
      }
    }
  }

  void ScanDigits() {
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) Fail("expected a digit");
  }

  void ScanNumber() {
    if (Peek() == '-') ++pos;
    if (Peek() == '0') {
      ++pos;
    } else {
      ScanDigits();
    }
    if (Peek() == '.') {
      ++pos;
      ScanDigits();
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos;
      if (Peek() == '+' || Peek() == '-') ++pos;
      ScanDigits();
    }
  }

  void ScanLiteral(std::string_view word) {
    if (text.substr(pos, word.size()) != word) Fail("unknown literal");
    pos += word.size();
  }

  // Scans one value; returns its exact bytes.
  std::string_view ScanValue(int depth) {
    if (depth > kMaxDepth) Fail("nesting too deep");
    std::size_t start = pos;
    switch (Peek()) {
      case '"':
        ScanString();
        break;
      case '{':
        ScanObject(depth, nullptr);
        break;
      case '[':
        ScanArray(depth, nullptr);
        break;
      case 't':
        ScanLiteral("true");
        break;
      case 'f':
        ScanLiteral("false");
        break;
      case 'n':
        ScanLiteral("null");
        break;
      default:
        if (Peek() == '-' || (Peek() >= '0' && Peek() <= '9')) {
          ScanNumber();
        } else {
          Fail("expected a value");
        }
    }
    return text.substr(start, pos - start);
  }

  // Returns false when the callback stopped the walk.
  bool ScanObject(int depth,
                  const std::function<bool(std::string_view, std::string_view)>* on_member) {
    Expect('{', "expected an object");
    SkipSpace();
    if (Peek() == '}') {
      ++pos;
      return true;
    }
    while (true) {
      SkipSpace();
      std::size_t key_start = pos;
      ScanString();
      std::string_view key = text.substr(key_start + 1, pos - key_start - 2);
      SkipSpace();
      Expect(':', "expected ':'");
      SkipSpace();
      std::string_view value = ScanValue(depth + 1);
      if (on_member && !(*on_member)(key, value)) return false;
      SkipSpace();
      if (Peek() == ',') {
        ++pos;
        continue;
      }
      Expect('}', "expected ',' or '}'");
      return true;
    }
  }

  void ScanArray(int depth, const std::function<void(std::string_view)>* on_element) {
    Expect('[', "expected an array");
    SkipSpace();
    if (Peek() == ']') {
      ++pos;
      return;
    }
    while (true) {
      SkipSpace();
      std::string_view value = ScanValue(depth + 1);
      if (on_element) (*on_element)(value);
      SkipSpace();
      if (Peek() == ',') {
        ++pos;
        continue;
      }
      Expect(']', "expected ',' or ']'");
      return;
    }
  }

  void ExpectEnd() {
    SkipSpace();
    if (pos != text.size()) Fail("trailing characters");
  }
};

void AppendUtf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

unsigned Hex4(std::string_view s) {
  unsigned v = 0;
  for (char c : s) {
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= c - '0';
    else if (c >= 'a' && c <= 'f')
      v |= c - 'a' + 10;
    else
      v |= c - 'A' + 10;
  }
  return v;
}

// The escaped form of a special byte; returns the end of what was written.
inline char* WriteEscape(char* out, unsigned char c) {
  static const char kHex[] = "0123456789abcdef";
  out[0] = '\\';
  switch (c) {
    case '"':
      out[1] = '"';
      return out + 2;
    case '\\':
      out[1] = '\\';
      return out + 2;
    case '\n':
      out[1] = 'n';
      return out + 2;
    case '\r':
      out[1] = 'r';
      return out + 2;
    case '\t':
      out[1] = 't';
      return out + 2;
    default:
      out[1] = 'u';
      out[2] = '0';
      out[3] = '0';
      out[4] = kHex[c >> 4];
      out[5] = kHex[c & 15];
      return out + 6;
  }
}

inline std::size_t EscapedSize(unsigned char c) {
  return c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' ? 2 : 6;
}

}  // namespace

JsonReader::JsonReader(std::string_view text) : text_(text) {}

char JsonReader::Peek() {
  Cursor cursor{text_, pos_};
  cursor.SkipSpace();
  pos_ = cursor.pos;
  return cursor.Peek();
}

void JsonReader::EnterObject() {
  Cursor cursor{text_, pos_};
  cursor.SkipSpace();
  if (depth_ >= kMaxDepth) cursor.Fail("nesting too deep");
  cursor.Expect('{', "expected an object");
  in_object_ |= std::uint64_t{1} << depth_;
  ++depth_;
  first_ = true;
  pos_ = cursor.pos;
}

void JsonReader::EnterArray() {
  Cursor cursor{text_, pos_};
  cursor.SkipSpace();
  if (depth_ >= kMaxDepth) cursor.Fail("nesting too deep");
  cursor.Expect('[', "expected an array");
  in_object_ &= ~(std::uint64_t{1} << depth_);
  ++depth_;
  first_ = true;
  pos_ = cursor.pos;
}

bool JsonReader::NextMember(std::string_view& key_raw) {
  if (depth_ == 0 || ((in_object_ >> (depth_ - 1)) & 1) == 0)
    throw std::logic_error("NextMember outside an object");
  Cursor cursor{text_, pos_};
  cursor.SkipSpace();
  if (cursor.Peek() == '}') {
    ++cursor.pos;
    --depth_;
    first_ = false;  // the enclosing container has now read this object
    pos_ = cursor.pos;
    return false;
  }
  if (!first_) {
    cursor.Expect(',', "expected ',' or '}'");
    cursor.SkipSpace();
  }
  first_ = false;
  const std::size_t key_start = cursor.pos;
  cursor.ScanString();
  key_raw = text_.substr(key_start + 1, cursor.pos - key_start - 2);
  cursor.SkipSpace();
  cursor.Expect(':', "expected ':'");
  cursor.SkipSpace();
  pos_ = cursor.pos;
  return true;
}

bool JsonReader::NextElement() {
  if (depth_ == 0 || ((in_object_ >> (depth_ - 1)) & 1) != 0)
    throw std::logic_error("NextElement outside an array");
  Cursor cursor{text_, pos_};
  cursor.SkipSpace();
  if (cursor.Peek() == ']') {
    ++cursor.pos;
    --depth_;
    first_ = false;
    pos_ = cursor.pos;
    return false;
  }
  if (!first_) {
    cursor.Expect(',', "expected ',' or ']'");
    cursor.SkipSpace();
  }
  first_ = false;
  pos_ = cursor.pos;
  return true;
}

std::string_view JsonReader::SkipValue() {
  Cursor cursor{text_, pos_};
  cursor.SkipSpace();
  std::string_view value = cursor.ScanValue(depth_);
  pos_ = cursor.pos;
  return value;
}

void JsonReader::ExpectEnd() {
  Cursor cursor{text_, pos_};
  if (depth_ != 0) cursor.Fail("an object or array is not closed");
  cursor.ExpectEnd();
}

void ForEachMember(
    std::string_view text,
    const std::function<bool(std::string_view key_raw, std::string_view value_raw)>& on_member) {
  Cursor cursor{text};
  cursor.SkipSpace();
  if (cursor.ScanObject(0, &on_member)) cursor.ExpectEnd();
}

void ForEachElement(std::string_view text,
                    const std::function<void(std::string_view value_raw)>& on_element) {
  Cursor cursor{text};
  cursor.SkipSpace();
  cursor.ScanArray(0, &on_element);
  cursor.ExpectEnd();
}

std::string UnescapeString(std::string_view raw) {
  Cursor check{raw};
  check.ScanString();
  check.ExpectEnd();
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        unsigned code = Hex4(raw.substr(i + 1, 4));
        i += 4;
        if (code >= 0xD800 && code <= 0xDBFF && i + 6 < raw.size() && raw[i + 1] == '\\' &&
            raw[i + 2] == 'u') {
          unsigned low = Hex4(raw.substr(i + 3, 4));
          if (low >= 0xDC00 && low <= 0xDFFF) {
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        if (code >= 0xD800 && code <= 0xDFFF) code = 0xFFFD;  // a lone surrogate
        AppendUtf8(out, code);
        break;
      }
      default:
        out.push_back(e);  // '"', '\\', '/'
    }
  }
  return out;
}

std::size_t QuotedSize(std::string_view text) {
  std::size_t size = text.size() + 2;
  const char* p = text.data();
  const char* const end = p + text.size();
  // Adds what the special bytes of [from, to) add once escaped.
  auto add_specials = [&size](const char* from, const char* to) {
    for (; from < to; ++from) {
      if (IsSpecial(static_cast<unsigned char>(*from)))
        size += EscapedSize(static_cast<unsigned char>(*from)) - 1;
    }
  };
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  while (end - p >= 16) {
    // Quotes and backslashes add one byte each: counted 16 at a time in byte counters (at most
    // 255 blocks, so that none overflows). Control characters are rare: if a round has any,
    // it is counted again byte by byte.
    const char* const round_start = p;
    const char* const round_end = p + 16 * std::min<std::ptrdiff_t>(255, (end - p) / 16);
    __m128i counts = zero;
    __m128i controls = zero;
    for (; p < round_end; p += 16) {
      const __m128i v = Load16(p);
      counts = _mm_sub_epi8(counts, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
      controls = _mm_or_si128(
          controls, _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F)));
    }
    if (_mm_movemask_epi8(controls) != 0) {
      add_specials(round_start, round_end);
    } else {
      const __m128i sums = _mm_sad_epu8(counts, zero);
      size += static_cast<std::size_t>(_mm_cvtsi128_si64(sums) +
                                       _mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
    }
  }
#endif
  add_specials(p, end);
  return size;
}

std::string_view StringText(std::string_view raw, std::string& scratch) {
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"' &&
      FindSpecial(raw.data(), 1, raw.size() - 1) == raw.size() - 1) {
    return raw.substr(1, raw.size() - 2);
  }
  scratch = UnescapeString(raw);
  return scratch;
}

void AppendQuoted(std::string& out, std::string_view text) {
  const std::size_t old_size = out.size();
  out.resize(old_size + QuotedSize(text));
  WriteQuoted(&out[old_size], text);
}

char* WriteQuoted(char* dst, std::string_view text) {
  *dst++ = '"';
  const char* src = text.data();
  const char* const end = src + text.size();
#if defined(__SSE2__)
  // What is left to write is never shorter than what is left to read plus the closing quote,
  // so a 16-byte store at `dst` stays inside the output while 16 bytes remain to read. Each
  // block is stored whole; only the bytes before its first special byte count, the rest is
  // written again.
  while (src + 16 <= end) {
    const __m128i block = Load16(src);
    const unsigned mask = SpecialMask(block);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), block);
    if (mask == 0) {
      src += 16;
      dst += 16;
      continue;
    }
    const unsigned plain = static_cast<unsigned>(__builtin_ctz(mask));
    src += plain;
    dst = WriteEscape(dst + plain, static_cast<unsigned char>(*src));
    ++src;
  }
#endif
  for (; src < end; ++src) {
    const auto c = static_cast<unsigned char>(*src);
    if (IsSpecial(c)) {
      dst = WriteEscape(dst, c);
    } else {
      *dst++ = static_cast<char>(c);
    }
  }
  *dst++ = '"';
  return dst;
}

namespace {

// The length of the well-formed UTF-8 sequence starting at `p` (2 to 4 bytes; `*p` >= 0x80), or
// 0 with `bad` set to the length of its maximal ill-formed subpart (at least 1). The ranges are
// those of the Unicode standard's table 3-7, which exclude overlongs (C0, C1, E0 80..9F,
// F0 80..8F), surrogates (ED A0..BF) and code points past U+10FFFF (F4 90.., F5..FF).
std::size_t Utf8Sequence(const unsigned char* p, std::size_t left, std::size_t& bad) {
  const unsigned char lead = p[0];
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    bad = 1;
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const bool in_range =
        i < left && (i == 1 ? p[i] >= low && p[i] <= high : p[i] >= 0x80 && p[i] <= 0xBF);
    if (!in_range) {
      bad = i;
      return 0;
    }
  }
  return length;
}

// The offset of the first byte >= 0x80 at or after `pos`, or `size`.
inline std::size_t FindNonAscii(const char* data, std::size_t pos, std::size_t size) {
#if defined(__SSE2__)
  for (; pos + 16 <= size; pos += 16) {
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(Load16(data + pos)));
    if (mask != 0) return pos + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  for (; pos < size; ++pos) {
    if (static_cast<unsigned char>(data[pos]) >= 0x80) return pos;
  }
  return size;
}

}  // namespace

std::size_t FindInvalidUtf8(std::string_view text) {
  const char* data = text.data();
  const std::size_t size = text.size();
  std::size_t pos = 0;
  while ((pos = FindNonAscii(data, pos, size)) < size) {
    std::size_t bad = 0;
    const std::size_t length =
        Utf8Sequence(reinterpret_cast<const unsigned char*>(data + pos), size - pos, bad);
    if (length == 0) return pos;
    pos += length;
  }
  return size;
}

std::size_t RepairUtf8(std::string_view text, std::string& out) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  out.clear();
  const char* data = text.data();
  const std::size_t size = text.size();
  std::size_t replaced = 0;
  std::size_t pos = 0;
  while (pos < size) {
    const std::size_t next = FindNonAscii(data, pos, size);
    out.append(data + pos, next - pos);
    pos = next;
    if (pos == size) break;
    std::size_t bad = 0;
    const std::size_t length =
        Utf8Sequence(reinterpret_cast<const unsigned char*>(data + pos), size - pos, bad);
    if (length > 0) {
      out.append(data + pos, length);
      pos += length;
    } else {
      out += kReplacement;
      ++replaced;
      pos += bad;
    }
  }
  return replaced;
}

}  // namespace sekoia::json
