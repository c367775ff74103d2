#include <gtest/gtest.h>

#include <fstream>

#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "sekoia/auth/basic_auth_transport.hpp"
#include "sekoia/auth/bearer_auth_transport.hpp"
#include "sekoia/auth/token_provider.hpp"
#include "sekoia/errors.hpp"

namespace sekoia::auth {
namespace {

std::string ReadSample(const char* name) {
  std::ifstream in(std::string(TEST_DATA_DIR) + "/" + name);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

ClientCredentialsOptions Options() {
  return {"https://login.test/tenant-1/oauth2/v2.0/token", "client 1", "s3cr&t=", "https://graph.microsoft.com/.default",
          std::chrono::seconds(300)};
}

TEST(ClientSecretCredential, PostsTheClientCredentialsForm) {
  testing::FakeTransport transport;
  testing::FakeClock clock;
  transport.Push({200, ReadSample("token_response.json"), {}});
  ClientSecretCredential credential(Options(), transport, clock);
  StopSignal stop;
  EXPECT_EQ(credential.GetToken(stop), "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl");
  auto request = transport.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://login.test/tenant-1/oauth2/v2.0/token");
  EXPECT_EQ(request.body,
            "grant_type=client_credentials&client_id=client%201&client_secret=s3cr%26t%3D"
            "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
}

TEST(ClientSecretCredential, CachesUntilShortlyBeforeExpiry) {
  testing::FakeTransport transport;
  testing::FakeClock clock;
  transport.Push({200, R"({"access_token":"t1","expires_in":3599})", {}});
  transport.Push({200, R"({"access_token":"t2","expires_in":3599})", {}});
  transport.Push({200, R"({"access_token":"t3","expires_in":3599})", {}});
  ClientSecretCredential credential(Options(), transport, clock);
  StopSignal stop;
  EXPECT_EQ(credential.GetToken(stop), "t1");
  clock.Advance(std::chrono::seconds(3000));
  EXPECT_EQ(credential.GetToken(stop), "t1");
  clock.Advance(std::chrono::seconds(400));  // inside the 300 s margin
  EXPECT_EQ(credential.GetToken(stop), "t2");
  credential.Invalidate();
  EXPECT_EQ(credential.GetToken(stop), "t3");
}

TEST(ClientSecretCredential, InvalidSecretSaysHowToFixIt) {
  testing::FakeTransport transport;
  testing::FakeClock clock;
  transport.Push({401, ReadSample("token_error.json"), {}});
  ClientSecretCredential credential(Options(), transport, clock);
  StopSignal stop;
  try {
    credential.GetToken(stop);
    FAIL();
  } catch (const AuthError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("AADSTS7000215"), std::string::npos) << message;
    EXPECT_NE(message.find("check client_secret"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cr"), std::string::npos) << message;
  }
}

TEST(DescribeTokenError, NamesTheArgumentForKnownCodes) {
  EXPECT_NE(DescribeTokenError(400, R"({"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1","error_codes":[90002]})")
                .find("check tenant_id"),
            std::string::npos);
  EXPECT_NE(DescribeTokenError(400, R"({"error_codes":[700016],"error_description":"AADSTS700016: Application not found"})")
                .find("check client_id"),
            std::string::npos);
  EXPECT_EQ(DescribeTokenError(502, "<html>"), "token request refused (HTTP 502)");
}

class FixedTokens final : public TokenProvider {
 public:
  std::string GetToken(const StopSignal&) override { return "token-" + std::to_string(generation); }
  void Invalidate() override { ++generation; }
  int generation = 1;
};

TEST(BearerAuthTransport, RefreshesOnceOn401) {
  testing::FakeTransport inner;
  FixedTokens tokens;
  inner.Push({401, "", {}});
  inner.Push({200, "ok", {}});
  BearerAuthTransport transport(inner, tokens, "https://graph.test");
  StopSignal stop;
  EXPECT_EQ(transport.Send({"GET", "https://graph.test/x", "", {}}, stop).body, "ok");
  auto requests = inner.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers.back().second, "Bearer token-1");
  EXPECT_EQ(requests[1].headers.back().second, "Bearer token-2");
  inner.Push({401, "a", {}});
  inner.Push({401, "b", {}});
  EXPECT_EQ(transport.Send({"GET", "https://graph.test/x", "", {}}, stop).body, "b");
}

TEST(BearerAuthTransport, NeverSendsATokenOverPlainHttpOffLoopback) {
  testing::FakeTransport inner;
  FixedTokens tokens;
  EXPECT_THROW(BearerAuthTransport(inner, tokens, "http://graph.test"), std::invalid_argument);
  BearerAuthTransport transport(inner, tokens, "https://graph.test");
  StopSignal stop;
  EXPECT_THROW(transport.Send({"GET", "http://graph.test/x", "", {}}, stop), OriginMismatchError);
  EXPECT_TRUE(inner.requests().empty());
}

TEST(BasicAuthTransport, SendsTheEncodedCredentialsOnlyOverHttps) {
  testing::FakeTransport inner;
  inner.Push({200, "", {}});
  BasicAuthTransport transport(inner, "Aladdin", "open sesame", "https://reports.test");
  StopSignal stop;
  transport.Send({"GET", "https://reports.test/x", "", {}}, stop);
  EXPECT_EQ(inner.requests().at(0).headers.back(),
            (std::pair<std::string, std::string>{"Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}));
  EXPECT_THROW(transport.Send({"GET", "http://reports.test/x", "", {}}, stop), OriginMismatchError);
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("ab"), "YWI=");
}

}  // namespace
}  // namespace sekoia::auth
