#include "json_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mtsim {
namespace {

std::string Quote(std::string_view text, JsonEscaping escaping) {
  std::string out;
  AppendJsonString(text, escaping, out);
  return out;
}

TEST(AppendJsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Quote("a\"b\\c/d", JsonEscaping::kUtf8), R"("a\"b\\c/d")");
  EXPECT_EQ(Quote("t\tn\nr\rb\bf\f", JsonEscaping::kUtf8), R"("t\tn\nr\rb\bf\f")");
  EXPECT_EQ(Quote(std::string("x\x01y\x1f", 4), JsonEscaping::kUtf8), R"("x\u0001y\u001f")");
}

TEST(AppendJsonString, KeepsUtf8OrEscapesItWithSurrogatePairs) {
  const std::string text = "\xC3\xA9t\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x93\x8E";  // été 日 📎
  EXPECT_EQ(Quote(text, JsonEscaping::kUtf8), "\"" + text + "\"");
  EXPECT_EQ(Quote(text, JsonEscaping::kAscii), R"("\u00e9t\u00e9 \u65e5 \ud83d\udcce")");
  for (const JsonEscaping escaping : {JsonEscaping::kUtf8, JsonEscaping::kAscii}) {
    EXPECT_EQ(nlohmann::json::parse(Quote(text, escaping)).get<std::string>(), text);
  }
}

TEST(EventHash, DependsOnEveryByte) {
  EXPECT_EQ(EventHash("{\"a\":1}"), EventHash(std::string("{\"a\":1}")));
  EXPECT_NE(EventHash("{\"a\":1}"), EventHash("{\"a\": 1}"));
}

}  // namespace
}  // namespace mtsim
