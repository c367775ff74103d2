#include "intake_batch.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "json_text.hpp"

namespace mtsim {
namespace {

TEST(ParseIntakeBatch, HashesEachEventAsDecodedByAStandardParser) {
  const std::string body =
      R"({"intake_key":"k","meta":{"n":[1,-2.5e3,true,false,null,{}]},"jsons":[)"
      R"("{\"a\":\"x\\\"y\"}","\u00e9\ud83d\ude00\n\t\/","",)"
      "\"raw \xC3\xA9\"]}";
  std::string error;
  const auto batch = ParseIntakeBatch(body, error);
  ASSERT_TRUE(batch) << error;
  EXPECT_EQ(batch->intake_key, "k");
  const nlohmann::json reference = nlohmann::json::parse(body);
  ASSERT_EQ(batch->event_hashes.size(), reference["jsons"].size());
  for (size_t i = 0; i < batch->event_hashes.size(); ++i) {
    EXPECT_EQ(batch->event_hashes[i], EventHash(reference["jsons"][i].get<std::string>())) << i;
  }
}

TEST(ParseIntakeBatch, AcceptsAnEmptyBatchAndAMissingKey) {
  std::string error;
  const auto batch = ParseIntakeBatch(" { \"jsons\" : [ ] } ", error);
  ASSERT_TRUE(batch) << error;
  EXPECT_FALSE(batch->intake_key);
  EXPECT_TRUE(batch->event_hashes.empty());
}

TEST(ParseIntakeBatch, RefusesWhatIsNotABatch) {
  const std::string deep =
      "{\"x\":" + std::string(300, '[') + std::string(300, ']') + ",\"jsons\":[]}";
  for (const std::string& body :
       {std::string(""), std::string("[]"), std::string("{\"intake_key\":\"k\"}"),
        std::string("{\"jsons\":[1]}"), std::string("{\"jsons\":[{}]}"),
        std::string("{\"jsons\":\"x\"}"), std::string("{\"jsons\":[\"a\""),
        std::string("{\"jsons\":[\"a\"]} x"), std::string("{\"jsons\":[\"\\x\"]}"),
        std::string("{\"jsons\":[\"\\ud800\"]}"), std::string("{\"jsons\":[\"a\nb\"]}"),
        std::string("{\"jsons\":[],\"jsons\":[]}"), std::string("{\"n\":01,\"jsons\":[]}"),
        std::string("{\"n\":tru,\"jsons\":[]}"), deep}) {
    std::string error;
    EXPECT_FALSE(ParseIntakeBatch(body, error)) << body;
    EXPECT_FALSE(error.empty()) << body;
  }
}

TEST(ParseIntakeBatch, RefusesInvalidUtf8AsTheRealIntakeDoes) {
  std::string error;
  for (const char* bad :
       {"\xFF", "\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    const std::string body =
        std::string(R"({"intake_key":"k","jsons":["{\"s\":\")") + bad + R"(\"}"]})";
    EXPECT_FALSE(ParseIntakeBatch(body, error)) << body;
    EXPECT_NE(error.find("invalid UTF-8"), std::string::npos) << error;
  }
  const std::string good =
      "{\"intake_key\":\"k\",\"jsons\":[\"caf\xC3\xA9 \xF0\x9F\x98\x80 \xEF\xBF\xBD\"]}";
  EXPECT_TRUE(ParseIntakeBatch(good, error)) << error;
}

TEST(ParseIntakeBatch, CountsTheEventsHoldingTheMarker) {
  std::string error;
  const std::string body =
      std::string(R"({"jsons":["a","b )") + std::string(kIntakeRejectMarker) + R"(","c"]})";
  auto batch = ParseIntakeBatch(body, error, kIntakeRejectMarker);
  ASSERT_TRUE(batch) << error;
  EXPECT_EQ(batch->marked, 1u);
  EXPECT_EQ(ParseIntakeBatch(body, error)->marked, 0u) << "no marker given: nothing marked";
}

}  // namespace
}  // namespace mtsim
