#include "reporting_source.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "fake_transport.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/time_format.hpp"

namespace office365 {
namespace {

std::string ReadSample(const char* name) {
  std::ifstream in(std::string(TEST_DATA_DIR) + "/" + name);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(ParseReportingPage, ReadsTheVerboseShape) {
  TracePage page = ParseReportingPage(ReadSample("legacy_verbose_page.json"));
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_EQ(page.records[0].received, sekoia::ParseMsJsonDate("/Date(1658751973240)/"));
  EXPECT_EQ(nlohmann::json::parse(page.records[1].raw)["MessageTraceId"], "9e628ee5-39be-405f-9c3e-32f6cdd7b4d4");
  EXPECT_NE(std::string(page.records[0].raw).find("\"Received\": \"/Date(1658751973240)/\""), std::string::npos);
  ASSERT_TRUE(page.next_url);
  EXPECT_NE(page.next_url->find("$skiptoken=2000"), std::string::npos);
}

TEST(ParseReportingPage, ReadsTheLightShape) {
  TracePage page = ParseReportingPage(ReadSample("legacy_light_page.json"));
  ASSERT_EQ(page.records.size(), 1u);
  EXPECT_EQ(page.records[0].received, sekoia::ParseIso8601("2022-09-05T18:10:13.4907658Z"));
  EXPECT_FALSE(page.next_url);
  TracePage linked = ParseReportingPage(R"({"value":[],"@odata.nextLink":"https://x/y?$skiptoken=4000"})");
  EXPECT_EQ(linked.next_url, "https://x/y?$skiptoken=4000");
}

TEST(ParseReportingPage, RejectsOtherDocuments) {
  for (const char* bad : {"{}", R"({"d":{"__next":"x"}})", R"({"d":"x"})", R"({"value":[1]})", "[]", "<html>"})
    EXPECT_THROW(ParseReportingPage(bad), sekoia::ParseError) << bad;
}

std::string Page(std::size_t rows, const std::string& next = "") {
  std::string body = R"({"d":{"results":[)";
  for (std::size_t i = 0; i < rows; ++i)
    body += (i ? "," : "") + std::string(R"({"Received":"/Date(1658751973240)/","Index":)") + std::to_string(i) + "}";
  body += "]";
  if (!next.empty()) body += R"(,"__next":")" + next + "\"";
  return body + "}}";
}

TEST(ReportingSource, FullPageWithoutLinkAsksForTheNextRowsBySkipToken) {
  sekoia::testing::FakeTransport transport;
  ReportingSource source({"https://reports.test/ecp/reportingwebservice/reporting.svc/MessageTrace", 3}, transport);
  Window window{*sekoia::ParseIso8601("2026-01-20T00:00:00Z"), *sekoia::ParseIso8601("2026-01-20T00:01:00Z")};
  std::string first = source.FirstPageUrl(window);
  EXPECT_EQ(first,
            "https://reports.test/ecp/reportingwebservice/reporting.svc/MessageTrace?$format=json&$filter=StartDate%20eq%20"
            "datetime%272026-01-20T00%3A00%3A00Z%27%20and%20EndDate%20eq%20datetime%272026-01-20T00%3A01%3A00Z%27");
  transport.Push({200, Page(3), {}});
  transport.Push({200, Page(3), {}});
  transport.Push({200, Page(1), {}});
  sekoia::StopSignal stop;
  TracePage page1 = source.FetchPage(first, 0, stop);
  ASSERT_TRUE(page1.next_url);
  EXPECT_EQ(*page1.next_url, first + "&$skiptoken=3");
  TracePage page2 = source.FetchPage(*page1.next_url, 3, stop);
  EXPECT_EQ(*page2.next_url, first + "&$skiptoken=6");
  TracePage page3 = source.FetchPage(*page2.next_url, 6, stop);
  EXPECT_FALSE(page3.next_url);
}

TEST(ReportingSource, AFullLastPageOfALinkedWindowEndsIt) {
  sekoia::testing::FakeTransport transport;
  ReportingSource source({"https://reports.test/ecp/reportingwebservice/reporting.svc/MessageTrace", 3}, transport);
  Window window{*sekoia::ParseIso8601("2026-01-20T00:00:00Z"), *sekoia::ParseIso8601("2026-01-20T00:01:00Z")};
  const std::string first = source.FirstPageUrl(window);
  transport.Push({200, Page(3, "https://reports.test/next?$skiptoken=3"), {}});
  transport.Push({200, Page(3), {}});  // full, and the last: the service gives no link
  transport.Push({200, Page(3), {}});  // the next window's first page, full, without a link
  sekoia::StopSignal stop;
  TracePage page1 = source.FetchPage(first, 0, stop);
  ASSERT_TRUE(page1.next_url);
  EXPECT_EQ(*page1.next_url, "https://reports.test/next?$skiptoken=3");
  EXPECT_FALSE(source.FetchPage(*page1.next_url, 3, stop).next_url);
  // A new window starts without knowing whether the service links its pages.
  TracePage next_window = source.FetchPage(first, 0, stop);
  ASSERT_TRUE(next_window.next_url);
  EXPECT_EQ(*next_window.next_url, first + "&$skiptoken=3");
}

TEST(ReportingSource, ErrorsPointToTheRightTrigger) {
  EXPECT_NE(DescribeReportingError(401, "", ReportingAuth::kBasic).find("retired Basic authentication"), std::string::npos);
  EXPECT_NE(DescribeReportingError(401, "", ReportingAuth::kBasic).find("office365_messagetrace_trigger_graph"),
            std::string::npos);
  EXPECT_NE(DescribeReportingError(401, "", ReportingAuth::kOAuth).find("ReportingWebService.Read.All"), std::string::npos);
  std::string retired = DescribeReportingError(
      403, R"({"error":{"code":"Forbidden","message":{"lang":"en-US","value":"The Reporting Web Service is not available"}}})",
      ReportingAuth::kOAuth);
  EXPECT_NE(retired.find("The Reporting Web Service is not available"), std::string::npos);
  EXPECT_NE(retired.find("move to the Microsoft Graph trigger"), std::string::npos);
}

}  // namespace
}  // namespace office365
