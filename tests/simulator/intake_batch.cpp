#include "intake_batch.hpp"

#include "json_text.hpp"

namespace mtsim {
namespace {

constexpr int kMaxDepth = 256;

// Well-formed UTF-8 as RFC 3629 (the Unicode standard's table 3-7): no overlong form, no
// surrogate, nothing past U+10FFFF, no truncated sequence.
bool IsUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  for (std::size_t i = 0; i < size;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + length > size || p[i + 1] < low || p[i + 1] > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

class BatchParser final {
 public:
  BatchParser(std::string_view text, std::string_view marker) : text_(text), marker_(marker) {}

  std::optional<IntakeBatch> Parse(std::string& error) {
    SkipSpace();
    if (!Peek('{')) return Fail("the batch must be a JSON object", error);
    if (!TopLevelObject()) return Fail(error_, error);
    SkipSpace();
    if (pos_ != text_.size()) return Fail("trailing characters after the JSON object", error);
    if (!has_jsons_) return Fail("\"jsons\" is missing", error);
    return std::move(batch_);
  }

 private:
  std::optional<IntakeBatch> Fail(const std::string& message, std::string& error) {
    error = message + " (at byte " + std::to_string(pos_) + ")";
    return std::nullopt;
  }

  bool Error(const char* message) {
    if (error_.empty()) error_ = message;
    return false;
  }

  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool Expect(char c) {
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end of input");
    if (!Peek(c)) return Error("unexpected character");
    ++pos_;
    return true;
  }

  bool TopLevelObject() {
    ++pos_;  // '{'
    SkipSpace();
    if (Peek('}')) {
      ++pos_;
      return true;
    }
    std::string key;
    while (true) {
      SkipSpace();
      if (!Peek('"')) return Error("expected a member name");
      if (!String(key) || !Expect(':')) return false;
      SkipSpace();
      if (key == "intake_key" && Peek('"')) {
        std::string value;
        if (!String(value)) return false;
        batch_.intake_key = std::move(value);
      } else if (key == "jsons") {
        if (has_jsons_) return Error("\"jsons\" appears twice");
        has_jsons_ = true;
        if (!Events()) return false;
      } else if (!Value(1)) {
        return false;
      }
      SkipSpace();
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      return Expect('}');
    }
  }

  bool Events() {
    if (!Peek('[')) return Error("\"jsons\" must be an array of strings");
    ++pos_;
    SkipSpace();
    if (Peek(']')) {
      ++pos_;
      return true;
    }
    std::string event;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size()) return Error("unexpected end of input");
      if (!Peek('"')) return Error("\"jsons\" must hold strings (one JSON text per event)");
      if (!String(event)) return false;
      batch_.event_hashes.push_back(EventHash(event));
      if (!marker_.empty() && event.find(marker_) != std::string::npos) ++batch_.marked;
      SkipSpace();
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      return Expect(']');
    }
  }

  bool Value(int depth) {
    if (depth > kMaxDepth) return Error("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end of input");
    const char c = text_[pos_];
    if (c == '"') {
      std::string ignored;
      return String(ignored);
    }
    if (c == '{' || c == '[') return Container(depth);
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    return Number();
  }

  bool Container(int depth) {
    const bool object = text_[pos_] == '{';
    const char close = object ? '}' : ']';
    ++pos_;
    SkipSpace();
    if (Peek(close)) {
      ++pos_;
      return true;
    }
    std::string key;
    while (true) {
      if (object) {
        SkipSpace();
        if (!Peek('"')) return Error("expected a member name");
        if (!String(key) || !Expect(':')) return false;
      }
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      return Expect(close);
    }
  }

  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return Error("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool Digits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  bool Number() {
    if (Peek('-')) ++pos_;
    if (Peek('0')) {
      ++pos_;
    } else if (!Digits()) {
      return Error("invalid value");
    }
    if (Peek('.')) {
      ++pos_;
      if (!Digits()) return Error("invalid number");
    }
    if (Peek('e') || Peek('E')) {
      ++pos_;
      if (Peek('+') || Peek('-')) ++pos_;
      if (!Digits()) return Error("invalid number");
    }
    return true;
  }

  bool Hex4(unsigned& value) {
    if (pos_ + 4 > text_.size()) return Error("truncated \\u escape");
    value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return Error("invalid \\u escape");
      }
    }
    return true;
  }

  static void AppendUtf8(unsigned code, std::string& out) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  // Decodes the string at pos_ (on its opening quote) into `out`, copying unescaped runs
  // whole.
  bool String(std::string& out) {
    out.clear();
    ++pos_;
    while (true) {
      const size_t start = pos_;
      while (pos_ < text_.size()) {
        const auto c = static_cast<unsigned char>(text_[pos_]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        ++pos_;
      }
      const std::string_view run = text_.substr(start, pos_ - start);
      if (!IsUtf8(run)) return Error("invalid UTF-8 in a string");
      out.append(run);
      if (pos_ >= text_.size()) return Error("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (c != '\\') return Error("control character in string");
      if (pos_ >= text_.size()) return Error("unterminated string");
      const char escape = text_[pos_++];
      switch (escape) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned code;
          if (!Hex4(code)) return false;
          if (code >= 0xD800 && code < 0xDC00) {
            unsigned low;
            if (text_.substr(pos_, 2) != "\\u" || (pos_ += 2, !Hex4(low)) || low < 0xDC00 ||
                low > 0xDFFF) {
              return Error("unpaired surrogate in \\u escape");
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code < 0xE000) {
            return Error("unpaired surrogate in \\u escape");
          }
          AppendUtf8(code, out);
          break;
        }
        default:
          return Error("invalid escape in string");
      }
    }
  }

  std::string_view text_;
  std::string_view marker_;
  size_t pos_ = 0;
  std::string error_;
  bool has_jsons_ = false;
  IntakeBatch batch_;
};

}  // namespace

std::optional<IntakeBatch> ParseIntakeBatch(std::string_view body, std::string& error,
                                            std::string_view marker) {
  return BatchParser(body, marker).Parse(error);
}

}  // namespace mtsim
