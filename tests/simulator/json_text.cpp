#include "json_text.hpp"

#include <functional>

namespace mtsim {
namespace {

void AppendUnicodeEscape(unsigned code_unit, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char escape[6] = {'\\',
                          'u',
                          kHex[(code_unit >> 12) & 0xF],
                          kHex[(code_unit >> 8) & 0xF],
                          kHex[(code_unit >> 4) & 0xF],
                          kHex[code_unit & 0xF]};
  out.append(escape, sizeof escape);
}

// Decodes one UTF-8 sequence at text[pos]; on malformed input returns the byte itself so
// the caller still writes something deterministic.
unsigned DecodeUtf8(std::string_view text, size_t& pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned lead = byte(pos);
  size_t length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  if (lead < 0xC0 || pos + length > text.size()) {
    ++pos;
    return lead;
  }
  unsigned code = lead & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) {
      ++pos;
      return lead;
    }
    code = (code << 6) | (byte(pos + i) & 0x3F);
  }
  pos += length;
  return code;
}

}  // namespace

void AppendJsonString(std::string_view text, JsonEscaping escaping, std::string& out) {
  out += '"';
  size_t pos = 0;
  while (pos < text.size()) {
    // Copy the run of characters that need no escaping in one go (start-up serializes
    // hundreds of megabytes).
    size_t run = pos;
    while (run < text.size()) {
      const auto c = static_cast<unsigned char>(text[run]);
      if (c < 0x20 || c == '"' || c == '\\' || (c >= 0x80 && escaping == JsonEscaping::kAscii)) {
        break;
      }
      ++run;
    }
    out.append(text.data() + pos, run - pos);
    pos = run;
    if (pos == text.size()) break;
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c >= 0x80) {
      const unsigned code = DecodeUtf8(text, pos);
      if (code >= 0x10000) {
        const unsigned v = code - 0x10000;
        AppendUnicodeEscape(0xD800 + (v >> 10), out);
        AppendUnicodeEscape(0xDC00 + (v & 0x3FF), out);
      } else {
        AppendUnicodeEscape(code, out);
      }
      continue;
    }
    ++pos;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        AppendUnicodeEscape(c, out);
    }
  }
  out += '"';
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendJsonString(text, JsonEscaping::kUtf8, out);
  return out;
}

std::uint64_t EventHash(std::string_view bytes) {
  // libstdc++ hashes with 64-bit MurmurHash2: fast, and collisions among a few million
  // events are improbable (about n^2 / 2^65).
  return std::hash<std::string_view>{}(bytes);
}

}  // namespace mtsim
