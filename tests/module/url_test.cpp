#include "sekoia/url.hpp"

#include <gtest/gtest.h>

namespace sekoia {
namespace {

TEST(Url, ParsesOriginAndPath) {
  auto url = ParseUrl("HTTPS://Graph.Microsoft.com/v1.0/x?$top=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "graph.microsoft.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path_and_query, "/v1.0/x?$top=1");
  auto local = ParseUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->port, 8080);
  EXPECT_EQ(local->path_and_query, "/");
  auto v6 = ParseUrl("http://[::1]:9/a");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
}

TEST(Url, RejectsWhatIsNotAnAbsoluteHttpUrl) {
  for (const char* bad : {"graph.microsoft.com", "ftp://x/", "https://", "https://user:pw@host/", "http://h:99999/",
                          "http://h:8x/"}) {
    EXPECT_FALSE(ParseUrl(bad)) << bad;
  }
}

TEST(Url, HttpIsOnlyAllowedOnLoopback) {
  EXPECT_TRUE(IsSecureOrLoopback(*ParseUrl("https://example.com")));
  EXPECT_TRUE(IsSecureOrLoopback(*ParseUrl("http://127.0.0.1:1")));
  EXPECT_TRUE(IsSecureOrLoopback(*ParseUrl("http://127.10.0.3:1")));
  EXPECT_TRUE(IsSecureOrLoopback(*ParseUrl("http://localhost:1")));
  EXPECT_TRUE(IsSecureOrLoopback(*ParseUrl("http://[::1]:1")));
  EXPECT_FALSE(IsSecureOrLoopback(*ParseUrl("http://example.com")));
  EXPECT_FALSE(IsSecureOrLoopback(*ParseUrl("http://127.0.0.1.evil.com")));
  EXPECT_FALSE(IsSecureOrLoopback(*ParseUrl("http://10.0.0.1")));
}

TEST(Url, PercentEncodesQueryValues) {
  EXPECT_EQ(PercentEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

}  // namespace
}  // namespace sekoia
