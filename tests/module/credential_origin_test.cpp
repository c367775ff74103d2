// Credentials go only where they belong, and a token service cannot inject headers or break
// the token's expiry arithmetic.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "sekoia/auth/basic_auth_transport.hpp"
#include "sekoia/auth/bearer_auth_transport.hpp"
#include "sekoia/auth/client_secret_credential.hpp"
#include "sekoia/auth/token_provider.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/redaction.hpp"

namespace sekoia::auth {
namespace {

class CountingTokens final : public TokenProvider {
 public:
  std::string GetToken(const StopSignal&) override {
    ++asked;
    return token;
  }
  void Invalidate() override { ++invalidated; }
  std::string token = "eyJ0eXAi.payload.signature";
  int asked = 0;
  int invalidated = 0;
};

// URLs that a next link, a tampered checkpoint or a redirect may name instead of the service.
const char* const kElsewhere[] = {
    "https://graph.test:8443/v1.0/next",  // another port
    "http://graph.test:443/v1.0/next",    // another scheme
    "https://graph.test.evil/v1.0/next",  // another host
    "https://evil.test/graph.test/v1.0",  // the service's name in the path
    "https://[::1]:443/v1.0/next",        // an IPv6 literal
    "https://graph.test\r\nHost: evil/",  // not a URL
    "//graph.test/v1.0",                  // relative
};

TEST(BearerAuthTransport, SendsTheTokenOnlyToTheConfiguredOrigin) {
  testing::FakeTransport inner;
  CountingTokens tokens;
  BearerAuthTransport transport(inner, tokens, "https://Graph.Test/");
  StopSignal stop;
  for (const char* url : kElsewhere) {
    try {
      transport.Send({"GET", url, "", {}}, stop);
      ADD_FAILURE() << "sent to " << url;
    } catch (const OriginMismatchError& error) {
      EXPECT_NE(std::string(error.what()).find("it goes only to https://graph.test:443"),
                std::string::npos)
          << error.what();
    }
  }
  EXPECT_TRUE(inner.requests().empty());
  EXPECT_EQ(tokens.asked, 0) << "a token was asked for although nothing may be sent";
  inner.Push({200, "ok", {}});
  EXPECT_EQ(
      transport.Send({"GET", "https://graph.test:443/v1.0/x?$skiptoken=1", "", {}}, stop).body,
      "ok");
  EXPECT_EQ(inner.requests().at(0).headers.back().second, "Bearer eyJ0eXAi.payload.signature");
}

TEST(BearerAuthTransport, NamesBothOriginsButNeverThePathOrQuery) {
  testing::FakeTransport inner;
  CountingTokens tokens;
  BearerAuthTransport transport(inner, tokens, "http://127.0.0.1:8080");
  StopSignal stop;
  try {
    transport.Send({"GET", "http://127.0.0.1:9090/v1.0/next?$skiptoken=abc", "", {}}, stop);
    FAIL();
  } catch (const OriginMismatchError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("http://127.0.0.1:9090"), std::string::npos) << what;
    EXPECT_NE(what.find("http://127.0.0.1:8080"), std::string::npos) << what;
    EXPECT_EQ(what.find("skiptoken"), std::string::npos) << what;
  }
}

TEST(BearerAuthTransport, WorksOnAnIPv6LoopbackOrigin) {
  testing::FakeTransport inner;
  CountingTokens tokens;
  BearerAuthTransport transport(inner, tokens, "http://[::1]:8080");
  StopSignal stop;
  inner.Push({200, "ok", {}});
  EXPECT_EQ(transport.Send({"GET", "http://[0::1]:8080/x", "", {}}, stop).status, 200);
  EXPECT_THROW(transport.Send({"GET", "http://[::1]:8081/x", "", {}}, stop), OriginMismatchError);
  EXPECT_EQ(inner.requests().size(), 1u);
}

TEST(BearerAuthTransport, RefusesATokenThatWouldInjectHeaders) {
  testing::FakeTransport inner;
  CountingTokens tokens;
  tokens.token = "good\r\nX-Injected: 1";
  BearerAuthTransport transport(inner, tokens, "https://graph.test");
  StopSignal stop;
  EXPECT_THROW(transport.Send({"GET", "https://graph.test/x", "", {}}, stop), AuthError);
  EXPECT_TRUE(inner.requests().empty());
  EXPECT_EQ(tokens.invalidated, 1);
}

TEST(BasicAuthTransport, SendsThePasswordOnlyToTheConfiguredOrigin) {
  testing::FakeTransport inner;
  EXPECT_THROW(BasicAuthTransport(inner, "u", "p", "http://reports.test"), std::invalid_argument);
  BasicAuthTransport transport(inner, "u", "password", "https://reports.test/ecp/reporting.svc");
  StopSignal stop;
  for (const char* url : kElsewhere) {
    EXPECT_THROW(transport.Send({"GET", url, "", {}}, stop), OriginMismatchError) << url;
  }
  EXPECT_TRUE(inner.requests().empty());
}

const std::string kTokenUrl = "https://login.test/tenant/oauth2/v2.0/token";

TEST(ClientSecretCredential, RefusesATokenWithControlCharactersAsAnInvalidAnswer) {
  testing::FakeClock clock;
  Redactor redactor;
  for (const char* token :
       {"abc\r\nX-Injected: 1", "abc\ndef", "with space", "quo\"te", "tab\there", ""}) {
    testing::FakeTransport transport;
    transport.Push({200, nlohmann::json{{"access_token", token}, {"expires_in", 3599}}.dump(), {}});
    ClientSecretCredential credential({kTokenUrl, "c", "secret", "s"}, transport, clock, &redactor);
    StopSignal stop;
    try {
      credential.GetToken(stop);
      ADD_FAILURE() << "accepted " << nlohmann::json(token).dump();
    } catch (const HttpStatusError& error) {
      EXPECT_NE(std::string(error.what()).find("invalid access_token"), std::string::npos)
          << error.what();
      if (std::string(token).size() > 3) {
        EXPECT_EQ(std::string(error.what()).find(token), std::string::npos);
      }
    }
  }
}

// How long a token is kept: it is fetched again once it is within refresh_margin (300 s) of its
// clamped expiry.
std::chrono::seconds CachedFor(const nlohmann::json& expires_in) {
  testing::FakeClock clock;
  testing::FakeTransport transport;
  int issued = 0;
  transport.SetHandler([&](const http::HttpRequest&) {
    nlohmann::json answer = {{"access_token", "token-" + std::to_string(++issued)}};
    if (!expires_in.is_null()) answer["expires_in"] = expires_in;
    return http::HttpResponse{200, answer.dump(), {}};
  });
  ClientSecretCredential credential({kTokenUrl, "c", "secret", "s"}, transport, clock);
  StopSignal stop;
  credential.GetToken(stop);
  for (int second = 1; second <= 200000; second += 1) {
    clock.Advance(std::chrono::seconds(1));
    if (credential.GetToken(stop) != "token-1") return std::chrono::seconds(second);
  }
  return std::chrono::seconds(-1);
}

TEST(ClientSecretCredential, ClampsExpiresInBeforeAnyArithmetic) {
  EXPECT_EQ(CachedFor(3599), std::chrono::seconds(3599 - 300));
  EXPECT_EQ(CachedFor("3599"), std::chrono::seconds(3599 - 300));
  EXPECT_EQ(CachedFor(nullptr), std::chrono::seconds(3599 - 300));
  // Huge, out of range for any integer, or not a number: at most a day.
  for (const nlohmann::json& huge :
       {nlohmann::json(9223372036854775807LL), nlohmann::json(1e300),
        nlohmann::json("99999999999999999999999"), nlohmann::json("1e999")}) {
    EXPECT_EQ(CachedFor(huge), std::chrono::seconds(86400 - 300)) << huge.dump();
  }
  // Zero, negative or nonsense: the shortest life, a minute (inside refresh_margin: fetched again
  // at once).
  for (const nlohmann::json& tiny : {nlohmann::json(0), nlohmann::json(-5), nlohmann::json(-1e300),
                                     nlohmann::json("nan"), nlohmann::json("soon")}) {
    EXPECT_EQ(CachedFor(tiny), std::chrono::seconds(1)) << tiny.dump();
  }
}

TEST(ClientSecretCredential, AReplacedTokenLeavesTheMaskingSetOnceExpired) {
  testing::FakeClock clock;
  testing::FakeTransport transport;
  int issued = 0;
  transport.SetHandler([&](const http::HttpRequest&) {
    return http::HttpResponse{
        200,
        nlohmann::json{{"access_token", "token-number-" + std::to_string(++issued)},
                       {"expires_in", 3600}}
            .dump(),
        {}};
  });
  Redactor redactor;
  ClientSecretCredential credential({kTokenUrl, "c", "secret", "s"}, transport, clock, &redactor);
  StopSignal stop;
  for (int hour = 0; hour < 48; ++hour) {
    credential.GetToken(stop);
    clock.Advance(std::chrono::minutes(56));
  }
  EXPECT_EQ(issued, 48);
  EXPECT_LE(redactor.size(), 2u) << "every token ever issued is kept";
  EXPECT_EQ(redactor.Apply("token-number-48"), "***");
}

}  // namespace
}  // namespace sekoia::auth
