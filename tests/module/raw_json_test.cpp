#include "sekoia/json/raw_json.hpp"

#include <gtest/gtest.h>

#include <fstream>

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
  ForEachElement(R"([{"a":"]"}, [], "s", -0.5, true])", [&](std::string_view v) { elements.emplace_back(v); });
  EXPECT_EQ(elements, (std::vector<std::string>{R"({"a":"]"})", "[]", R"("s")", "-0.5", "true"}));
}

TEST(RawJson, RejectsInvalidDocuments) {
  auto walk = [](const std::string& text) {
    ForEachMember(text, [](std::string_view, std::string_view) { return true; });
  };
  for (const char* bad : {"", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":\"x}", "{\"a\":tru}",
                          "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":1} x", "[1]", "{\"a\":\"\x01\"}",
                          "{\"a\":-}", "{\"a\":1.}", "{a:1}"}) {
    EXPECT_THROW(walk(bad), ParseError) << bad;
  }
  std::string deep(100, '[');
  EXPECT_THROW(ForEachMember("{\"a\":" + deep + "}", [](auto, auto) { return true; }), ParseError);
}

TEST(RawJson, AgreesWithNlohmannOnTheSamples) {
  for (const char* name : {"graph_page.json", "legacy_verbose_page.json", "legacy_light_page.json"}) {
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
  EXPECT_EQ(UnescapeString(R"("\u00e9\u65e5\ud83d\ude00")"), "\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80");
  EXPECT_THROW(UnescapeString("12"), ParseError);
}

TEST(RawJson, AppendQuotedRoundTripsThroughAParser) {
  std::string text = "{\"s\":\"a\\\"b\",\"t\":\"tab\there\"}\n\x01 \xC3\xA9";
  std::string quoted;
  AppendQuoted(quoted, text);
  EXPECT_EQ(nlohmann::json::parse(quoted).get<std::string>(), text);
}

}  // namespace
}  // namespace sekoia::json
