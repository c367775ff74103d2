#include "graph_source.hpp"

#include <gtest/gtest.h>

#include <map>

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

TEST(ParseGraphPage, SplitsTheSamplePageIntoExactRecords) {
  std::string body = ReadSample("graph_page.json");
  TracePage page = ParseGraphPage(body);
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_EQ(page.records[0].received, sekoia::ParseIso8601("2025-06-13T10:30:00Z"));
  EXPECT_EQ(page.records[1].received, sekoia::ParseIso8601("2026-01-21T14:12:34Z"));
  EXPECT_EQ(page.records[0].raw.front(), '{');
  EXPECT_NE(body.find(std::string(page.records[1].raw)), std::string::npos);  // the exact bytes
  EXPECT_EQ(nlohmann::json::parse(page.records[1].raw)["id"],
            "b7c1f4d2-9a6e-4c3b-8f2d-1e0a6c5b4d3f");
  ASSERT_TRUE(page.next_url);
  EXPECT_EQ(
      *page.next_url,
      "https://graph.microsoft.com/beta/admin/exchange/tracing/"
      "messageTraces?$filter=receivedDateTime+ge+"
      "2025-06-13T00:00:00Z+and+receivedDateTime+le+2025-06-14T00:00:00Z&$top=2&$skiptoken=AAAAAQ");
}

TEST(ParseGraphPage, LastPageHasNoNextLinkAndEmptyPagesAreFine) {
  TracePage page = ParseGraphPage(R"({"@odata.context":"x","value":[]})");
  EXPECT_TRUE(page.records.empty());
  EXPECT_FALSE(page.next_url);
}

TEST(ParseGraphPage, RejectsWhatIsNotAPage) {
  for (const char* bad :
       {"{}", "{\"value\":{}}", "{\"value\":[1]}", "{\"value\":[], \"@odata.nextLink\":1}",
        "{\"value\":[{\"receivedDateTime\":\"2026-01-21T14:12:34Z\"}", "<html>"}) {
    EXPECT_THROW(ParseGraphPage(bad), sekoia::ParseError) << bad;
  }
}

TEST(ParseGraphPage, RecordWithoutAReadableDateIsKeptUndated) {
  TracePage page = ParseGraphPage(R"({"value":[{"id":"x"},{"receivedDateTime":"yesterday"}]})");
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_FALSE(page.records[0].received);
  EXPECT_FALSE(page.records[1].received);
}

// Found by fuzzing (tests/fuzz/regressions/graph_page): a date the clock cannot hold overflowed it.
TEST(ParseGraphPage, RecordDatedOutsideTheClocksRangeIsKeptUndated) {
  TracePage page = ParseGraphPage(
      R"({"value":[{"receivedDateTime":"1013-01-21T14:12:34Z"},{"receivedDateTime":"2344-01-21T14:12:34Z"}]})");
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_FALSE(page.records[0].received.has_value());
  EXPECT_FALSE(page.records[1].received.has_value());
}

TEST(GraphSource, FirstPageAsksForTheWindowWithBothBoundsAndTop) {
  sekoia::testing::FakeTransport transport;
  GraphSource source({"https://graph.test", "beta", 250}, transport);
  Window window{*sekoia::ParseIso8601("2026-01-20T00:00:00Z"),
                *sekoia::ParseIso8601("2026-01-23T00:00:00Z")};
  EXPECT_EQ(
      source.FirstPageUrl(window),
      "https://graph.test/beta/admin/exchange/tracing/"
      "messageTraces?$filter=receivedDateTime%20ge%20"
      "2026-01-20T00%3A00%3A00Z%20and%20receivedDateTime%20le%202026-01-23T00%3A00%3A00Z&$top=250");
}

TEST(GraphSource, ErrorsSayWhatToFix) {
  sekoia::testing::FakeTransport transport;
  GraphSource source({"https://graph.test"}, transport);
  transport.Push(
      {403,
       R"({"error":{"code":"Forbidden","message":"Missing role permissions on the request."}})",
       {}});
  transport.Push({401, R"({"error":{"code":"InvalidAuthenticationToken","message":"no"}})", {}});
  sekoia::StopSignal stop;
  try {
    source.FetchPage("https://graph.test/x", 0, stop);
    FAIL();
  } catch (const sekoia::HttpStatusError& error) {
    EXPECT_EQ(error.status(), 403);
    EXPECT_NE(std::string(error.what()).find("Missing role permissions"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("ExchangeMessageTrace.Read.All"), std::string::npos);
  }
  try {
    source.FetchPage("https://graph.test/x", 0, stop);
    FAIL();
  } catch (const sekoia::HttpStatusError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373"),
              std::string::npos);
  }
}

TEST(GraphSource, SendsPreferAndItsOwnClientRequestIdOnEveryRequest) {
  sekoia::testing::FakeTransport transport;
  GraphSource source({"https://graph.test"}, transport);
  transport.Push({200, R"({"value":[]})", {}});
  transport.Push({200, R"({"value":[]})", {}});
  sekoia::StopSignal stop;
  source.FetchPage("https://graph.test/v1.0/x", 0, stop);
  source.FetchPage("https://graph.test/v1.0/x?$skiptoken=1", 0, stop);
  std::vector<std::string> ids;
  for (const auto& request : transport.requests()) {
    std::map<std::string, std::string> headers(request.headers.begin(), request.headers.end());
    EXPECT_EQ(headers["Prefer"], "include-unknown-enum-members");
    EXPECT_EQ(headers["client-request-id"].size(), 36u);
    ids.push_back(headers["client-request-id"]);
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
}

TEST(GraphSource, ErrorsCarryRequestIdAndClientRequestId) {
  sekoia::testing::FakeTransport transport;
  GraphSource source({"https://graph.test"}, transport);
  transport.Push({503,
                  R"({"error":{"code":"ServiceUnavailable","message":"later"}})",
                  {{"Request-Id", "rid-header"}}});
  transport.Push(
      {400,
       R"({"error":{"code":"BadRequest","message":"bad","innerError":{"request-id":"rid-body"}}})",
       {}});
  sekoia::StopSignal stop;
  for (const char* expected : {"rid-header", "rid-body"}) {
    try {
      source.FetchPage("https://graph.test/x", 0, stop);
      FAIL();
    } catch (const sekoia::HttpStatusError& error) {
      const std::string sent = transport.requests().back().headers.back().second;
      EXPECT_NE(
          std::string(error.what())
              .find(std::string("(request-id ") + expected + ", client-request-id " + sent + ")"),
          std::string::npos)
          << error.what();
    }
  }
}

TEST(GraphSource, NextLinksOffGraphUrlsOriginAreNeverRequested) {
  sekoia::testing::FakeTransport transport;
  GraphSource source({"https://graph.test"}, transport);
  sekoia::StopSignal stop;
  for (const char* link :
       {"https://evil.test/v1.0/x", "http://graph.test/v1.0/x", "https://graph.test:8443/v1.0/x",
        "https://[::1]/v1.0/x", "https://graph.test.evil.test/x", "not a url"}) {
    try {
      source.FetchPage(link, 0, stop);
      FAIL() << link;
    } catch (const PagingError& error) {
      EXPECT_NE(std::string(error.what()).find("graph_url"), std::string::npos);
    }
  }
  EXPECT_TRUE(transport.requests().empty());
  transport.Push({200, R"({"value":[]})", {}});
  EXPECT_NO_THROW(source.FetchPage("https://GRAPH.test:443/v1.0/x", 0, stop));
}

// Issue 13.5: the page's link is checked as the page is read, before the collector can save it.
TEST(GraphSource, ANextLinkOffGraphUrlsOriginIsRefusedAsThePageIsRead) {
  sekoia::testing::FakeTransport transport;
  GraphSource source({"https://graph.test"}, transport);
  transport.Push(
      {200,
       R"({"value":[{"id":"a"}],"@odata.nextLink":"https://evil.test/v1.0/x?$skiptoken=2"})",
       {}});
  transport.Push(
      {200,
       R"({"value":[{"id":"b"}],"@odata.nextLink":"https://graph.test/v1.0/x?$skiptoken=3"})",
       {}});
  sekoia::StopSignal stop;
  TracePage page = source.FetchPage("https://graph.test/v1.0/x", 0, stop);
  EXPECT_EQ(page.records.size(), 1u);
  EXPECT_FALSE(page.next_url);
  ASSERT_TRUE(page.paging_error);
  EXPECT_NE(
      page.paging_error->find("https://evil.test:443, not to graph_url's scheme, host and port"),
      std::string::npos)
      << *page.paging_error;
  page = source.FetchPage("https://graph.test/v1.0/x?$skiptoken=2", 0, stop);
  EXPECT_EQ(page.next_url, "https://graph.test/v1.0/x?$skiptoken=3");
  EXPECT_FALSE(page.paging_error);
}

// Issue 13.7: an invalid page and a request without an answer carry the ids too.
TEST(GraphSource, AnInvalidPageAndATransportFailureCarryTheIds) {
  sekoia::testing::FakeTransport transport;
  GraphSource source({"https://graph.test"}, transport);
  transport.Push({200, R"({"value":[{"id":)", {{"request-id", "rid-page"}}});
  transport.Push({-1, "", {}});
  sekoia::StopSignal stop;
  try {
    source.FetchPage("https://graph.test/x", 0, stop);
    FAIL();
  } catch (const sekoia::ParseError& error) {
    const std::string sent = transport.requests().back().headers.back().second;
    EXPECT_NE(std::string(error.what()).find("Microsoft Graph sent an invalid page: "),
              std::string::npos);
    EXPECT_NE(
        std::string(error.what()).find("(request-id rid-page, client-request-id " + sent + ")"),
        std::string::npos)
        << error.what();
  }
  try {
    source.FetchPage("https://graph.test/x", 0, stop);
    FAIL();
  } catch (const sekoia::TransportError& error) {
    const std::string sent = transport.requests().back().headers.back().second;
    EXPECT_NE(std::string(error.what())
                  .find("connection refused (scripted) (request-id none, client-request-id " +
                        sent + ")"),
              std::string::npos)
        << error.what();
  }
}

TEST(ParseGraphPage, StatusesAreComparedCaseInsensitively) {
  auto page = ParseGraphPage(R"({"value":[{"id":"a","recipientAddress":"r","status":"Delivered"},)"
                             R"({"id":"a","recipientAddress":"r","status":"delivered"},)"
                             R"({"id":"a","recipientAddress":"r","status":"recalled"}]})");
  ASSERT_EQ(page.records.size(), 3u);
  EXPECT_EQ(page.records[0].key, page.records[1].key);
  EXPECT_NE(page.records[0].key, page.records[2].key);
  sekoia::testing::FakeTransport transport;
  EXPECT_FALSE(GraphSource({"https://graph.test"}, transport).Limits().rows_outside_window);
}

}  // namespace
}  // namespace message_trace
