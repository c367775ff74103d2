#include "sekoia/json/raw_json.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "sekoia/errors.hpp"

namespace sekoia::json {
namespace {

TEST(RawJson, ForEachMemberGivesExactValueBytes) {
  std::string text = R"( {"a" : 1.5e3, "b":{"x":[1, 2]}, "c":"q\"\u00e9" , "d":null} )";
  std::vector<std::pair<std::string, std::string>> members;
  ForEachMember(text, [&](std::string_view key, std::string_view value) {
    members.emplace_back(key, value);
    return true;
  });
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0], (std::pair<std::string, std::string>{"a", "1.5e3"}));
  EXPECT_EQ(members[1].second, R"({"x":[1, 2]})");
  EXPECT_EQ(members[2].second, R"("q\"\u00e9")");
  EXPECT_EQ(members[3].second, "null");
}

TEST(RawJson, ForEachElementSplitsAnArray) {
  std::vector<std::string> elements;
  ForEachElement(R"([{"a":"]"}, [], "s", -0.5, true])",
                 [&](std::string_view v) { elements.emplace_back(v); });
  EXPECT_EQ(elements, (std::vector<std::string>{R"({"a":"]"})", "[]", R"("s")", "-0.5", "true"}));
}

TEST(RawJson, RejectsInvalidDocuments) {
  auto walk = [](const std::string& text) {
    ForEachMember(text, [](std::string_view, std::string_view) { return true; });
  };
  for (const char* bad : {"", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":\"x}",
                          "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":1} x",
                          "[1]", "{\"a\":\"\x01\"}", "{\"a\":-}", "{\"a\":1.}", "{a:1}"}) {
    EXPECT_THROW(walk(bad), ParseError) << bad;
  }
  std::string deep(100, '[');
  EXPECT_THROW(ForEachMember("{\"a\":" + deep + "}", [](auto, auto) { return true; }), ParseError);
}

TEST(RawJson, AgreesWithNlohmannOnTheSamples) {
  for (const char* name :
       {"graph_page.json", "legacy_verbose_page.json", "legacy_light_page.json"}) {
    std::ifstream in(std::string(TEST_DATA_DIR) + "/" + name);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty()) << name;
    nlohmann::json expected = nlohmann::json::parse(text);
    nlohmann::json rebuilt = nlohmann::json::object();
    ForEachMember(text, [&](std::string_view key, std::string_view value) {
      rebuilt[UnescapeString("\"" + std::string(key) + "\"")] = nlohmann::json::parse(value);
      return true;
    });
    EXPECT_EQ(rebuilt, expected) << name;
  }
}

TEST(RawJson, UnescapeHandlesEscapesAndSurrogatePairs) {
  EXPECT_EQ(UnescapeString(R"("a\"b\\c\/d\n\t")"), "a\"b\\c/d\n\t");
  EXPECT_EQ(UnescapeString(R"("\u00e9\u65e5\ud83d\ude00")"),
            "\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80");
  EXPECT_THROW(UnescapeString("12"), ParseError);
}

TEST(RawJson, AppendQuotedRoundTripsThroughAParser) {
  std::string text = "{\"s\":\"a\\\"b\",\"t\":\"tab\there\"}\n\x01 \xC3\xA9";
  std::string quoted;
  AppendQuoted(quoted, text);
  EXPECT_EQ(nlohmann::json::parse(quoted).get<std::string>(), text);
}

// Walks any value with the reader, rebuilding it as nlohmann::json (keys unescaped).
nlohmann::json ReadWithReader(JsonReader& reader) {
  const char first = reader.Peek();
  if (first == '{') {
    nlohmann::json object = nlohmann::json::object();
    reader.EnterObject();
    std::string_view key;
    while (reader.NextMember(key))
      object[UnescapeString("\"" + std::string(key) + "\"")] = ReadWithReader(reader);
    return object;
  }
  if (first == '[') {
    nlohmann::json array = nlohmann::json::array();
    reader.EnterArray();
    while (reader.NextElement()) array.push_back(ReadWithReader(reader));
    return array;
  }
  return nlohmann::json::parse(reader.SkipValue());
}

TEST(JsonReader, ReadsTheSamplesAsNlohmannDoes) {
  for (const char* name :
       {"graph_page.json", "legacy_verbose_page.json", "legacy_light_page.json"}) {
    std::ifstream in(std::string(TEST_DATA_DIR) + "/" + name);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty()) << name;
    JsonReader reader(text);
    EXPECT_EQ(ReadWithReader(reader), nlohmann::json::parse(text)) << name;
    reader.ExpectEnd();
  }
}

TEST(JsonReader, GivesExactBytesAndPositions) {
  const std::string text = R"( { "a" : [ {"x":"q\"}"} , 2 ] , "b":true } )";
  JsonReader reader(text);
  reader.EnterObject();
  std::string_view key;
  ASSERT_TRUE(reader.NextMember(key));
  EXPECT_EQ(key, "a");
  reader.EnterArray();
  ASSERT_TRUE(reader.NextElement());
  const std::size_t start = reader.position();
  EXPECT_EQ(reader.Peek(), '{');
  reader.EnterObject();
  ASSERT_TRUE(reader.NextMember(key));
  EXPECT_EQ(reader.SkipValue(), R"("q\"}")");
  EXPECT_FALSE(reader.NextMember(key));
  EXPECT_EQ(text.substr(start, reader.position() - start), R"({"x":"q\"}"})");
  ASSERT_TRUE(reader.NextElement());
  EXPECT_EQ(reader.SkipValue(), "2");
  EXPECT_FALSE(reader.NextElement());
  ASSERT_TRUE(reader.NextMember(key));
  EXPECT_EQ(key, "b");
  EXPECT_EQ(reader.SkipValue(), "true");
  EXPECT_FALSE(reader.NextMember(key));
  reader.ExpectEnd();
}

TEST(JsonReader, RejectsInvalidDocuments) {
  auto walk = [](const std::string& text) {
    JsonReader reader(text);
    ReadWithReader(reader);
    reader.ExpectEnd();
  };
  for (const char* bad : {"",
                          "{",
                          "{\"a\":}",
                          "{\"a\":1,}",
                          "{\"a\":01}",
                          "{\"a\":\"x}",
                          "{\"a\":tru}",
                          "{\"a\":\"\\x\"}",
                          "{\"a\":\"\\u12g4\"}",
                          "{\"a\":1} x",
                          "[1,]",
                          "{\"a\":\"\x01\"}",
                          "{\"a\":-}",
                          "{\"a\":1.}",
                          "{a:1}",
                          "{,}",
                          "[,1]",
                          "{\"a\" 1}",
                          "{\"a\":1 \"b\":2}",
                          "[1 2]",
                          "{\"a\":\"0123456789abcdef\x1f\"}"}) {
    EXPECT_THROW(walk(bad), ParseError) << bad;
  }
  // An object left open, and nesting past 64 levels.
  JsonReader open("{\"a\":1");
  open.EnterObject();
  std::string_view key;
  ASSERT_TRUE(open.NextMember(key));
  open.SkipValue();
  EXPECT_THROW(open.ExpectEnd(), ParseError);
  std::string deep(100, '[');
  EXPECT_THROW(walk(deep + std::string(100, ']')), ParseError);
  // Strings scanned in 16-byte blocks: an escape or a quote on every offset of a block.
  for (std::size_t at = 0; at < 40; ++at) {
    std::string body(40, 'x');
    body.replace(at, 1, "\\\"");
    walk("[\"" + body + "\"]");
    std::string cut = "[\"" + std::string(at, 'y');
    EXPECT_THROW(walk(cut), ParseError) << at;
  }
}

// The escaping the intake expects, one byte at a time: the reference for the fast version.
std::string QuoteByteByByte(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"')
      out += "\\\"";
    else if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else
      out += static_cast<char>(c);
  }
  return out + "\"";
}

TEST(RawJson, AppendQuotedMatchesTheByteByByteEscaping) {
  std::mt19937 random(7);
  // Pieces, so that the text stays valid UTF-8 for the parser.
  const std::vector<std::string> pieces = {"a",
                                           "b",
                                           " ",
                                           "\"",
                                           "\\",
                                           "/",
                                           "\n",
                                           "\r",
                                           "\t",
                                           std::string(1, '\0'),
                                           "\x01",
                                           "\x1f",
                                           "\x7f",
                                           "\xC3\xA9",
                                           "{",
                                           "}",
                                           ":",
                                           ",",
                                           "0123456789abcdef"};
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    for (std::size_t n = random() % 40; n > 0; --n) text += pieces[random() % pieces.size()];
    std::string out = "prefix";
    AppendQuoted(out, text);
    ASSERT_EQ(out, "prefix" + QuoteByteByByte(text)) << round;
    ASSERT_EQ(QuotedSize(text), out.size() - 6) << round;
    ASSERT_EQ(nlohmann::json::parse(out.substr(6)).get<std::string>(), text) << round;
    // WriteQuoted writes exactly QuotedSize bytes, and nothing past them.
    std::string buffer(QuotedSize(text) + 32, '#');
    const char* written = WriteQuoted(buffer.data(), text);
    ASSERT_EQ(static_cast<std::size_t>(written - buffer.data()), QuotedSize(text)) << round;
    ASSERT_EQ(buffer, out.substr(6) + std::string(32, '#')) << round;
  }
  // Long texts: counted in rounds of 4080 bytes, with and without a control character.
  std::string all_quotes(10000, '"'), long_text(10000, 'x');
  long_text[9000] = '\x02';
  long_text[100] = '\\';
  for (const std::string& text : {all_quotes, long_text}) {
    std::string out;
    AppendQuoted(out, text);
    EXPECT_EQ(out, QuoteByteByByte(text));
    EXPECT_EQ(QuotedSize(text), out.size());
  }
}

TEST(RawJson, StringTextCopiesOnlyEscapedStrings) {
  std::string scratch = "untouched";
  const std::string plain = R"("2026-01-21T14:12:34Z")";
  std::string_view text = StringText(plain, scratch);
  EXPECT_EQ(text, "2026-01-21T14:12:34Z");
  EXPECT_EQ(text.data(), plain.data() + 1);  // a view, no copy
  EXPECT_EQ(scratch, "untouched");
  EXPECT_EQ(StringText(R"("a\"b\u00e9")", scratch), "a\"b\xC3\xA9");
  EXPECT_EQ(StringText(R"("")", scratch), "");
  EXPECT_THROW(StringText("12", scratch), ParseError);
}

// U+FFFD as UTF-8.
constexpr const char* kFffd = "\xEF\xBF\xBD";

std::string Repaired(std::string_view text, std::size_t* replaced = nullptr) {
  std::string out = "stale";
  std::size_t n = RepairUtf8(text, out);
  if (replaced) *replaced = n;
  return out;
}

TEST(Utf8, WellFormedTextIsKeptAsItIs) {
  // ASCII, 2-, 3- and 4-byte forms, the edges of each range (U+0080, U+07FF, U+0800, U+D7FF,
  // U+E000, U+FFFF, U+10000, U+10FFFF), long enough for the 16-byte path.
  const std::string text = std::string(40, 'a') +
                           "\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF"
                           "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80" +
                           std::string(20, 'z');
  EXPECT_TRUE(IsValidUtf8(text));
  std::size_t replaced = 99;
  EXPECT_EQ(Repaired(text, &replaced), text);
  EXPECT_EQ(replaced, 0u);
  EXPECT_TRUE(IsValidUtf8(""));
}

TEST(Utf8, AStrayByteIsReplacedWhereItIs) {
  const std::string text = std::string(20, 'a') + "\xFF" + std::string(20, 'b');
  EXPECT_EQ(FindInvalidUtf8(text), 20u);
  std::size_t replaced = 0;
  EXPECT_EQ(Repaired(text, &replaced), std::string(20, 'a') + kFffd + std::string(20, 'b'));
  EXPECT_EQ(replaced, 1u);
  EXPECT_EQ(Repaired("\x80"), kFffd);                             // a continuation byte alone
  EXPECT_EQ(Repaired("a\xF5z"), std::string("a") + kFffd + "z");  // never a lead byte
}

TEST(Utf8, ATruncatedSequenceIsOneReplacement) {
  // The maximal subpart that could have begun a character is replaced once, the byte after it kept.
  EXPECT_EQ(Repaired("\xE2\x82x"), std::string(kFffd) + "x");  // 3-byte form cut after 2
  EXPECT_EQ(Repaired("\xF0\x9F\x98"), kFffd);                  // 4-byte form cut at the end
  EXPECT_EQ(Repaired("\xC3"), kFffd);                          // 2-byte form cut at the end
  EXPECT_EQ(Repaired("\xC3\xC3\xA9"), std::string(kFffd) + "\xC3\xA9");  // a new lead byte ends it
  EXPECT_EQ(FindInvalidUtf8("ok\xE2\x82"), 2u);
}

TEST(Utf8, OverlongFormsAreReplacedBytePerByte) {
  // "/" as C0 AF, as E0 80 AF, and U+0000 as F0 80 80 80: the lead cannot start them well-formed,
  // so each byte is a subpart of its own (as Python's errors="replace").
  std::size_t replaced = 0;
  EXPECT_EQ(Repaired("\xC0\xAF", &replaced), std::string(kFffd) + kFffd);
  EXPECT_EQ(replaced, 2u);
  EXPECT_EQ(Repaired("\xE0\x80\xAF"), std::string(kFffd) + kFffd + kFffd);
  EXPECT_EQ(Repaired("\xF0\x80\x80\x80"), std::string(kFffd) + kFffd + kFffd + kFffd);
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));
}

TEST(Utf8, SurrogatesAndCodePointsPastTheLastAreReplaced) {
  EXPECT_EQ(Repaired("\xED\xA0\x80"), std::string(kFffd) + kFffd + kFffd);              // U+D800
  EXPECT_EQ(Repaired("\xED\xBF\xBF"), std::string(kFffd) + kFffd + kFffd);              // U+DFFF
  EXPECT_EQ(Repaired("\xF4\x90\x80\x80"), std::string(kFffd) + kFffd + kFffd + kFffd);  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80\xED\xB0\x80"));  // a CESU-8 pair is not UTF-8 either
}

TEST(Utf8, RepairedJsonStaysTheSameJsonWithValidText) {
  const std::string record = "{\"subject\":\"Invoice \xFF\xFE caf\xC3\xA9\",\"n\":1}";
  std::string repaired = Repaired(record);
  EXPECT_TRUE(IsValidUtf8(repaired));
  auto parsed = nlohmann::json::parse(repaired);
  EXPECT_EQ(parsed["subject"], std::string("Invoice ") + kFffd + kFffd + " caf\xC3\xA9");
  EXPECT_EQ(parsed["n"], 1);
}

}  // namespace
}  // namespace sekoia::json
