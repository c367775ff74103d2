#include "reporting_source.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "fake_transport.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/time_format.hpp"

namespace message_trace {
namespace {

std::string ReadSample(const char* name) {
  std::ifstream in(std::string(TEST_DATA_DIR) + "/" + name);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(ParseReportingPage, ReadsTheVerboseShape) {
  TracePage page = ParseReportingPage(ReadSample("legacy_verbose_page.json"));
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_EQ(page.records[0].received, sekoia::ParseMsJsonDate("/Date(1658751973240)/"));
  EXPECT_EQ(nlohmann::json::parse(page.records[1].raw)["MessageTraceId"],
            "9e628ee5-39be-405f-9c3e-32f6cdd7b4d4");
  EXPECT_NE(std::string(page.records[0].raw).find("\"Received\": \"/Date(1658751973240)/\""),
            std::string::npos);
  ASSERT_TRUE(page.next_url);
  EXPECT_NE(page.next_url->find("$skiptoken=2000"), std::string::npos);
}

TEST(ParseReportingPage, ReadsTheLightShape) {
  TracePage page = ParseReportingPage(ReadSample("legacy_light_page.json"));
  ASSERT_EQ(page.records.size(), 1u);
  EXPECT_EQ(page.records[0].received, sekoia::ParseIso8601("2022-09-05T18:10:13.4907658Z"));
  EXPECT_FALSE(page.next_url);
  TracePage linked =
      ParseReportingPage(R"({"value":[],"@odata.nextLink":"https://x/y?$skiptoken=4000"})");
  EXPECT_EQ(linked.next_url, "https://x/y?$skiptoken=4000");
}

TEST(ParseReportingPage, RejectsOtherDocuments) {
  for (const char* bad :
       {"{}", R"({"d":{"__next":"x"}})", R"({"d":"x"})", R"({"value":[1]})", "[]", "<html>"})
    EXPECT_THROW(ParseReportingPage(bad), sekoia::ParseError) << bad;
}

std::string Page(std::size_t rows, const std::string& next = "") {
  std::string body = R"({"d":{"results":[)";
  for (std::size_t i = 0; i < rows; ++i)
    body += (i ? "," : "") + std::string(R"({"Received":"/Date(1658751973240)/","Index":)") +
            std::to_string(i) + "}";
  body += "]";
  if (!next.empty()) body += R"(,"__next":")" + next + "\"";
  return body + "}}";
}

TEST(ReportingSource, FullPageWithoutLinkAsksForTheNextRowsBySkipToken) {
  sekoia::testing::FakeTransport transport;
  ReportingSource source(
      {"https://reports.test/ecp/reportingwebservice/reporting.svc/MessageTrace", 3}, transport);
  Window window{*sekoia::ParseIso8601("2026-01-20T00:00:00Z"),
                *sekoia::ParseIso8601("2026-01-20T00:01:00Z")};
  std::string first = source.FirstPageUrl(window);
  EXPECT_EQ(first,
            "https://reports.test/ecp/reportingwebservice/reporting.svc/"
            "MessageTrace?$format=json&$filter=StartDate%20eq%20"
            "datetime%272026-01-20T00%3A00%3A00Z%27%20and%20EndDate%20eq%20datetime%272026-01-"
            "20T00%3A01%3A00Z%27"
            "&$top=3");
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
  ReportingSource source(
      {"https://reports.test/ecp/reportingwebservice/reporting.svc/MessageTrace", 3}, transport);
  Window window{*sekoia::ParseIso8601("2026-01-20T00:00:00Z"),
                *sekoia::ParseIso8601("2026-01-20T00:01:00Z")};
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
  // A 401 on Basic: what Microsoft documents, and the other triggers.
  const std::string basic = DescribeReportingError(401, "", ReportingAuth::kBasic);
  for (const char* part :
       {"account_password", "AllowBasicAuthReportingWebServices",
        "office365_messagetrace_trigger_oauth", "office365_messagetrace_trigger_graph"})
    EXPECT_NE(basic.find(part), std::string::npos) << part << " not in " << basic;
  EXPECT_EQ(basic.find("retired Basic"), std::string::npos);
  EXPECT_NE(
      DescribeReportingError(401, "", ReportingAuth::kOAuth).find("ReportingWebService.Read.All"),
      std::string::npos);
  // A 403: wrong password or too few admin privileges first [RWSE].
  std::string refused = DescribeReportingError(
      403, R"({"error":{"code":"","message":{"lang":"en-US","value":"Access denied"}}})",
      ReportingAuth::kBasic);
  EXPECT_NE(refused.find("Access denied"), std::string::npos);
  EXPECT_NE(refused.find("account_password"), std::string::npos);
  EXPECT_NE(refused.find("admin role"), std::string::npos);
  EXPECT_NE(refused.find("office365_messagetrace_trigger_graph"), std::string::npos);
  EXPECT_NE(DescribeReportingError(404, "", ReportingAuth::kOAuth).find("reporting_url"),
            std::string::npos);
}

std::string IndexedPage(const std::vector<int>& indices) {
  std::string body = R"({"d":{"results":[)";
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (i) body += ",";
    body += R"({"MessageTraceId":"id-)" + std::to_string(indices[i]) + R"(","Index":)" +
            std::to_string(indices[i]) + "}";
  }
  return body + "]}}";
}

TEST(ReportingSource, AGapInTheRowsIndexIsWarnedAcrossPages) {
  sekoia::testing::FakeTransport transport;
  ReportingSource source({"https://reports.test/r", 3}, transport);
  transport.Push({200, IndexedPage({0, 1, 2}), {}});
  transport.Push({200, IndexedPage({3, 5}), {}});     // row 4 is missing
  transport.Push({200, IndexedPage({0, 1}), {}});     // the next window starts again
  transport.Push({200, IndexedPage({2, 3, 4}), {}});  // contiguous with the window's page before
  sekoia::StopSignal stop;
  EXPECT_FALSE(source.FetchPage("https://reports.test/r?a", 0, stop).warning);
  auto gap = source.FetchPage("https://reports.test/r?b", 3, stop).warning;
  ASSERT_TRUE(gap);
  EXPECT_NE(gap->find("1 gap(s)"), std::string::npos) << *gap;
  EXPECT_NE(gap->find("after row 3"), std::string::npos) << *gap;
  EXPECT_FALSE(source.FetchPage("https://reports.test/r?c", 0, stop).warning);
  EXPECT_FALSE(source.FetchPage("https://reports.test/r?d", 2, stop).warning);
}

TEST(ReportingSource, NextLinksOffReportingUrlsOriginAreNeverRequested) {
  sekoia::testing::FakeTransport transport;
  ReportingSource source({"https://reports.test/ecp/r/MessageTrace", 3}, transport);
  sekoia::StopSignal stop;
  for (const char* link : {"https://evil.test/ecp/r/MessageTrace?$skiptoken=3",
                           "https://reports.test:444/x", "http://reports.test/x"}) {
    EXPECT_THROW(source.FetchPage(link, 3, stop), PagingError) << link;
  }
  EXPECT_TRUE(transport.requests().empty());
}

// Issue 13.5: the page's link is checked as the page is read, before the collector can save it;
// a full page without a link still continues on the service by offset.
TEST(ReportingSource, ANextLinkOffReportingUrlsOriginIsRefusedAsThePageIsRead) {
  sekoia::testing::FakeTransport transport;
  ReportingSource source({"https://reports.test/ecp/r/MessageTrace", 3}, transport);
  transport.Push({200, Page(3, "https://evil.test/ecp/r/MessageTrace?$skiptoken=3"), {}});
  sekoia::StopSignal stop;
  TracePage page =
      source.FetchPage("https://reports.test/ecp/r/MessageTrace?$format=json", 0, stop);
  EXPECT_EQ(page.records.size(), 3u);
  EXPECT_FALSE(page.next_url);
  ASSERT_TRUE(page.paging_error);
  EXPECT_NE(page.paging_error->find("not to reporting_url's scheme, host and port"),
            std::string::npos)
      << *page.paging_error;
}

TEST(ReportingSource, EveryRowTheServiceReturnsIsForwarded) {
  sekoia::testing::FakeTransport transport;
  // StartDate and EndDate are processing steps, not Received [RWS].
  EXPECT_TRUE(ReportingSource({}, transport).Limits().rows_outside_window);
}

TEST(ParseReportingPage, StatusesAreComparedCaseInsensitively) {
  auto page = ParseReportingPage(
      R"({"value":[{"MessageTraceId":"a","RecipientAddress":"r","Status":"Delivered"},)"
      R"({"MessageTraceId":"a","RecipientAddress":"r","Status":"delivered"}]})");
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_EQ(page.records[0].key, page.records[1].key);
}

}  // namespace
}  // namespace message_trace
