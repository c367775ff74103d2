#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "sekoia/auth/basic_auth_transport.hpp"
#include "sekoia/auth/bearer_auth_transport.hpp"
#include "sekoia/auth/client_secret_credential.hpp"
#include "sekoia/auth/token_provider.hpp"
#include "sekoia/auth/token_request.hpp"
#include "sekoia/errors.hpp"

namespace sekoia::auth {
namespace {

std::string ReadSample(const char* name) {
  std::ifstream in(std::string(TEST_DATA_DIR) + "/" + name);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

ClientCredentialsOptions Options() {
  return {"https://login.test/tenant-1/oauth2/v2.0/token", "client 1",
          "s3cr&t=", "https://graph.microsoft.com/.default", std::chrono::seconds(300)};
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
  EXPECT_NE(
      DescribeTokenError(
          400,
          R"({"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1","error_codes":[90002]})")
          .find("check tenant_id"),
      std::string::npos);
  EXPECT_NE(
      DescribeTokenError(
          400,
          R"({"error_codes":[700016],"error_description":"AADSTS700016: Application not found"})")
          .find("check client_id"),
      std::string::npos);
  EXPECT_EQ(DescribeTokenError(502, "<html>"), "token request refused (HTTP 502)");
}

// What Microsoft support asks for [CC]: the AADSTS code, and the ids and time Entra appends to
// error_description (or gives as members).
TEST(DescribeTokenError, CarriesTheCodeItsFixAndTheTraceAndCorrelationIds) {
  const std::string described = DescribeTokenError(
      401,
      R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\n)"
      R"(Trace ID: 0c8f8f2e-1\r\nCorrelation ID: 5d0a7b1c-2\r\nTimestamp: 2026-01-21 14:12:34Z",)"
      R"("error_codes":[7000215],"trace_id":"other","correlation_id":"other"})");
  EXPECT_EQ(described,
            "token request refused (HTTP 401): AADSTS7000215: Invalid client secret provided. -> "
            "check client_secret: "
            "give the secret's Value, not its Secret ID (Trace ID: 0c8f8f2e-1, Correlation ID: "
            "5d0a7b1c-2, "
            "Timestamp: 2026-01-21 14:12:34Z)");
  // Ids only as members, and a description without its code.
  EXPECT_EQ(DescribeTokenError(
                400, R"({"error":"invalid_request","error_description":"Tenant not found.",)"
                     R"("error_codes":[90002],"timestamp":"2026-01-21 14:12:34Z","trace_id":"t-1",)"
                     R"("correlation_id":"c-1"})"),
            "token request refused (HTTP 400): AADSTS90002: Tenant not found. -> check tenant_id: "
            "give the Directory "
            "(tenant) ID from the Azure portal (Trace ID: t-1, Correlation ID: c-1, Timestamp: "
            "2026-01-21 14:12:34Z)");
}

TEST(ClientSecretCredential, AnotherStatusStillCarriesEntrasCodeAndIds) {
  testing::FakeTransport transport;
  testing::FakeClock clock;
  transport.Push(
      {503,
       R"({"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error.)"
       R"(\r\nTrace ID: t-2\r\nCorrelation ID: c-2\r\nTimestamp: 2026-01-21 14:12:34Z",)"
       R"("error_codes":[90033]})",
       {}});
  ClientSecretCredential credential({"https://login.test/t/oauth2/v2.0/token", "c", "s", "scope"},
                                    transport, clock);
  StopSignal stop;
  try {
    credential.GetToken(stop);
    FAIL();
  } catch (const HttpStatusError& error) {
    EXPECT_EQ(std::string(error.what()),
              "the token endpoint answered HTTP 503: AADSTS90033: A transient error. (Trace ID: "
              "t-2, Correlation ID: "
              "c-2, Timestamp: 2026-01-21 14:12:34Z)");
  }
  // Each token request has its own client-request-id.
  const auto requests = transport.requests();
  std::map<std::string, std::string> headers(requests[0].headers.begin(),
                                             requests[0].headers.end());
  EXPECT_EQ(headers["client-request-id"].size(), 36u);
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
  EXPECT_EQ(
      inner.requests().at(0).headers.back(),
      (std::pair<std::string, std::string>{"Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}));
  EXPECT_THROW(transport.Send({"GET", "http://reports.test/x", "", {}}, stop), OriginMismatchError);
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("ab"), "YWI=");
}

}  // namespace
}  // namespace sekoia::auth
