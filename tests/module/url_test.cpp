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
  for (const char* bad : {"graph.microsoft.com", "ftp://x/", "https://", "https://user:pw@host/",
                          "http://h:99999/", "http://h:8x/"}) {
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

TEST(Url, RefusesWhatCouldBreakARequestLine) {
  for (const char* bad :
       {"https://graph.test/a\r\nHost: evil", "https://graph.test/a b", "https://gra ph.test/",
        "https://graph.test/\x7f", "https://graph.test\t/", "http://[::1%25lo]:9/",
        "http://[fe80::1%eth0]/", "http://[::1/", "http://[evil.test]/", "http://[]/",
        "https://graph.test%2f.evil/", "https://graph.test\\@evil/"}) {
    EXPECT_FALSE(ParseUrl(bad)) << bad;
  }
  std::string with_nul = "https://graph.test/a";
  with_nul.push_back('\0');
  EXPECT_FALSE(ParseUrl(with_nul));
}

TEST(Url, OriginIsSchemeHostAndPortAlwaysExplicit) {
  EXPECT_EQ(Origin(*ParseUrl("HTTPS://Graph.Test/v1.0/x?$top=1")), "https://graph.test:443");
  EXPECT_EQ(Origin(*ParseUrl("https://graph.test:443")), "https://graph.test:443");
  EXPECT_EQ(Origin(*ParseUrl("http://127.0.0.1/a")), "http://127.0.0.1:80");
  EXPECT_EQ(Origin(*ParseUrl("http://[::1]:9/a")), "http://[::1]:9");
  EXPECT_EQ(Origin(*ParseUrl("http://[0:0:0:0:0:0:0:1]:9")), "http://[::1]:9");  // canonical
  EXPECT_TRUE(HasOrigin("https://graph.test/v1.0/next?$skiptoken=x", "https://graph.test:443"));
  EXPECT_FALSE(HasOrigin("https://graph.test:8443/v1.0", "https://graph.test:443"));
  EXPECT_FALSE(HasOrigin("http://graph.test:443/v1.0", "https://graph.test:443"));
  EXPECT_FALSE(HasOrigin("https://graph.test.evil/v1.0", "https://graph.test:443"));
  EXPECT_FALSE(HasOrigin("not a url", "https://graph.test:443"));
}

TEST(Url, IPv6LiteralsParseAndAreLoopbackWhenTheyAreOne) {
  auto url = ParseUrl("http://[::1]:8080/path?q=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path_and_query, "/path?q=1");
  EXPECT_TRUE(IsSecureOrLoopback(*url));
  auto https = ParseUrl("https://[2001:DB8::1]/");
  ASSERT_TRUE(https);
  EXPECT_EQ(https->host, "2001:db8::1");
  EXPECT_EQ(https->port, 443);
  EXPECT_FALSE(IsSecureOrLoopback(*ParseUrl("http://[2001:db8::1]/")));
}

TEST(Url, BaseUrlsRefuseUserInformationQueriesAndFragmentsWithoutQuotingThem) {
  EXPECT_EQ(BaseUrlProblem("https://graph.microsoft.com"), "");
  EXPECT_EQ(BaseUrlProblem("http://[::1]:9/ecp/reportingwebservice/reporting.svc/MessageTrace"),
            "");
  const std::string userinfo = BaseUrlProblem("https://admin:hunter2-secret@graph.microsoft.com/");
  EXPECT_NE(userinfo.find("user information"), std::string::npos) << userinfo;
  EXPECT_EQ(userinfo.find("hunter2"), std::string::npos) << userinfo;
  EXPECT_NE(BaseUrlProblem("https://:hunter2@graph.test").find("user information"),
            std::string::npos);
  const std::string query = BaseUrlProblem("https://graph.test/v1.0?sig=s3cret");
  EXPECT_NE(query.find("query"), std::string::npos) << query;
  EXPECT_EQ(query.find("s3cret"), std::string::npos) << query;
  EXPECT_NE(BaseUrlProblem("https://graph.test/v1.0#frag").find("fragment"), std::string::npos);
  EXPECT_NE(BaseUrlProblem("graph.test").find("not an absolute"), std::string::npos);
  EXPECT_NE(BaseUrlProblem("https://graph.test/\r\n").find("not an absolute"), std::string::npos);
}

TEST(Url, DisplayUrlNeverShowsUserInformationOrControlCharacters) {
  EXPECT_EQ(DisplayUrl("https://admin:hunter2@graph.test/a@b"), "https://***@graph.test/a@b");
  EXPECT_EQ(DisplayUrl("https://a@b@graph.test"), "https://***@graph.test");
  EXPECT_EQ(DisplayUrl("https://graph.test/a\r\nb"), "https://graph.test/a??b");
  EXPECT_EQ(DisplayUrl("https://graph.test/x?y=1"), "https://graph.test/x?y=1");
}

}  // namespace
}  // namespace sekoia
