#include "sekoia/json/raw_json.hpp"

#include <cstring>

#include "sekoia/errors.hpp"

namespace sekoia::json {
namespace {

constexpr int kMaxDepth = 64;

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

  static bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

  void ScanString() {
    Expect('"', "expected a string");
    const char* data = text.data();
    const std::size_t size = text.size();
    while (true) {
      // Fast path: jump to the next quote or backslash.
      const void* quote = std::memchr(data + pos, '"', size - pos);
      if (quote == nullptr) Fail("unterminated string");
      std::size_t end = static_cast<const char*>(quote) - data;
      const void* backslash = std::memchr(data + pos, '\\', end - pos);
      std::size_t stop = backslash ? static_cast<const char*>(backslash) - data : end;
      for (std::size_t i = pos; i < stop; ++i) {
        if (static_cast<unsigned char>(data[i]) < 0x20) {
          pos = i;
          Fail("control character in a string");
        }
      }
      pos = stop;
      if (!backslash) {
        ++pos;
        return;
      }
      ++pos;  // the backslash
      char e = Peek();
      if (e == 'u') {
        if (pos + 5 > size || !IsHex(data[pos + 1]) || !IsHex(data[pos + 2]) || !IsHex(data[pos + 3]) ||
            !IsHex(data[pos + 4]))
          Fail("bad \\u escape");
        pos += 5;
      } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
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
  bool ScanObject(int depth, const std::function<bool(std::string_view, std::string_view)>* on_member) {
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
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else v |= c - 'A' + 10;
  }
  return v;
}

}  // namespace

void ForEachMember(std::string_view text,
                   const std::function<bool(std::string_view key_raw, std::string_view value_raw)>& on_member) {
  Cursor cursor{text};
  cursor.SkipSpace();
  if (cursor.ScanObject(0, &on_member)) cursor.ExpectEnd();
}

void ForEachElement(std::string_view text, const std::function<void(std::string_view value_raw)>& on_element) {
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
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        unsigned code = Hex4(raw.substr(i + 1, 4));
        i += 4;
        if (code >= 0xD800 && code <= 0xDBFF && i + 6 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
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
      default: out.push_back(e);  // '"', '\\', '/'
    }
  }
  return out;
}

void AppendQuoted(std::string& out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

}  // namespace sekoia::json
