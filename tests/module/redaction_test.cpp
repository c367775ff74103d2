// Secrets in every form a service may echo them in, the masking set's life, and the sanitizer
// that redacts a service's error text before any excerpt is cut from it.
#include "sekoia/redaction.hpp"

#include <gtest/gtest.h>

#include <set>

#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "sekoia/auth/basic_auth_transport.hpp"
#include "sekoia/http/sanitizing_transport.hpp"
#include "sekoia/url.hpp"

namespace sekoia {
namespace {

// Characters that each encoding changes: '/' (JSON \/), '"' and '\' (JSON), ' ' and '&' (percent),
// 'é' (percent and JSON \u00e9).
const std::string kSecret = "pa ss/w\"o\\rd&é-7f3a";

TEST(SecretForms, CoverPercentEncodingAndJsonEscapes) {
  const auto forms = SecretForms(kSecret);
  auto has = [&](const std::string& form) {
    return std::find(forms.begin(), forms.end(), form) != forms.end();
  };
  EXPECT_EQ(forms.front(), kSecret);
  EXPECT_TRUE(has("pa%20ss%2Fw%22o%5Crd%26%C3%A9-7f3a"));
  EXPECT_TRUE(has("pa%20ss%2fw%22o%5crd%26%c3%a9-7f3a"));
  EXPECT_TRUE(has("pa+ss%2Fw%22o%5Crd%26%C3%A9-7f3a"));
  EXPECT_TRUE(has("pa ss/w\\\"o\\\\rd&é-7f3a"));
  EXPECT_TRUE(has("pa ss\\/w\\\"o\\\\rd&é-7f3a"));
  EXPECT_TRUE(has("pa ss/w\\\"o\\\\rd&\\u00e9-7f3a"));
  EXPECT_EQ(std::set<std::string>(forms.begin(), forms.end()).size(), forms.size())
      << "each form once";
  EXPECT_EQ(SecretForms("plain-token").size(), 1u);
}

TEST(Redactor, MasksEveryFormOfEverySecret) {
  Redactor redactor;
  redactor.Add(kSecret);
  for (const std::string& form : SecretForms(kSecret)) {
    EXPECT_EQ(redactor.Apply("before " + form + " after"), "before *** after") << form;
  }
  redactor.Add("abc");  // too short to mask without masking noise
  EXPECT_EQ(redactor.Apply("abc"), "abc");
}

TEST(Redactor, MasksTheBasicCredentialEvenWhenTheHeaderIsEchoed) {
  Redactor redactor;
  testing::FakeTransport inner;
  inner.Push({401, "", {}});
  auth::BasicAuthTransport basic(inner, "Aladdin", "open sesame", "https://reports.test",
                                 &redactor);
  StopSignal stop;
  basic.Send({"GET", "https://reports.test/x", "", {}}, stop);
  const std::string header = inner.requests().at(0).headers.back().second;
  EXPECT_EQ(redactor.Apply("you sent Authorization: " + header),
            "you sent Authorization: Basic ***");
}

TEST(Redactor, MasksUrlUserInformation) {
  Redactor redactor;
  EXPECT_EQ(redactor.Apply("proxy http://user:p%40ss@proxy.test:3128 refused"),
            "proxy http://***@proxy.test:3128 refused");
  EXPECT_EQ(redactor.Apply("'https://a:b@h/x' and https://c@d"),
            "'https://***@h/x' and https://***@d");
  EXPECT_EQ(redactor.Apply("mail reporter@contoso.test, url https://h/a@b"),
            "mail reporter@contoso.test, url https://h/a@b");
}

TEST(Redactor, AHugeTextOfRepeatedSecretsAndUrlsIsMaskedInOnePass) {
  Redactor redactor;
  redactor.Add("repeated-secret");
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "repeated-secret http://u:p@h/ ";
  const std::string masked = redactor.Apply(text);
  EXPECT_EQ(masked.find("repeated-secret"), std::string::npos);
  EXPECT_EQ(masked.find("u:p@"), std::string::npos);
  EXPECT_EQ(masked.substr(0, 36), "*** http://***@h/ *** http://***@h/ ");
  EXPECT_EQ(MaskUrlUserinfo("a@://b@c and ://x:y@z"), "a@://***@c and ://***@z");
}

TEST(Redactor, HoldsTheLiveSecretsOnly) {
  testing::FakeClock clock;
  Redactor redactor;
  redactor.Add("client-secret-for-life");
  redactor.AddUntil("first-token-0001", clock.Now() + std::chrono::minutes(60));
  clock.Advance(std::chrono::minutes(55));
  redactor.AddUntil("second-token-002", clock.Now() + std::chrono::minutes(60));
  redactor.Expire(clock.Now());
  // The replaced token is still valid for five minutes: still masked.
  EXPECT_EQ(redactor.Apply("first-token-0001 second-token-002"), "*** ***");
  EXPECT_EQ(redactor.size(), 3u);
  clock.Advance(std::chrono::minutes(6));
  redactor.Expire(clock.Now());
  EXPECT_EQ(redactor.size(), 2u);
  EXPECT_EQ(redactor.Apply("first-token-0001 second-token-002 client-secret-for-life"),
            "first-token-0001 *** ***");
  // A secret registered for life is not shortened by a later expiry.
  redactor.AddUntil("client-secret-for-life", clock.Now());
  clock.Advance(std::chrono::hours(48));
  redactor.Expire(clock.Now());
  EXPECT_EQ(redactor.Apply("client-secret-for-life"), "***");
  EXPECT_EQ(redactor.size(), 1u);
}

TEST(Redactor, ThousandsOfRefreshesKeepTheSetSmall) {
  testing::FakeClock clock;
  Redactor redactor;
  for (int i = 0; i < 5000; ++i) {
    redactor.AddUntil("token-number-" + std::to_string(i), clock.Now() + std::chrono::minutes(60));
    redactor.Expire(clock.Now());
    clock.Advance(std::chrono::minutes(55));
  }
  EXPECT_LE(redactor.size(), 2u);
}

TEST(Wipe, EmptiesTheString) {
  std::string secret(100, 's');
  Wipe(secret);
  EXPECT_TRUE(secret.empty());
  std::string small = "short";
  Wipe(small);
  EXPECT_TRUE(small.empty());
}

class SanitizingTransportTest : public ::testing::Test {
 protected:
  SanitizingTransportTest() {
    auto inner = std::make_unique<testing::FakeTransport>();
    inner_ = inner.get();
    redactor_.Add(kSecret);
    transport_ = std::make_unique<http::SanitizingTransport>(std::move(inner), redactor_);
  }
  testing::FakeTransport* inner_;
  Redactor redactor_;
  std::unique_ptr<http::SanitizingTransport> transport_;
  StopSignal stop_;
};

TEST_F(SanitizingTransportTest, RedactsAnErrorAnswerBeforeAnExcerptCanBeCut) {
  for (const std::string& form : SecretForms(kSecret)) {
    // The secret straddles the 500-character boundary where an excerpt is cut.
    const std::string body = "{\"error\":\"" + std::string(495, 'x') + form + " was refused\"}";
    inner_->Push({400, body, {{"WWW-Authenticate", "Bearer error=" + form}}});
    http::HttpResponse response = transport_->Send({"POST", "https://login.test/t", "", {}}, stop_);
    const std::string excerpt = response.body.substr(0, 500 + 10);
    EXPECT_EQ(response.body.find(form), std::string::npos) << form;
    EXPECT_NE(response.body.find(std::string(495, 'x') + "***"), std::string::npos)
        << response.body;
    for (std::size_t length = 4; length <= form.size(); ++length) {
      EXPECT_EQ(excerpt.find(form.substr(0, length)), std::string::npos)
          << "a partial secret in " << excerpt;
    }
    EXPECT_EQ(response.Header("WWW-Authenticate"), "Bearer error=***");
  }
}

TEST_F(SanitizingTransportTest, LeavesSuccessfulAnswersIntact) {
  // A token answer may repeat a token already registered (Microsoft caches them).
  inner_->Push({200, "{\"access_token\":\"" + kSecret + "\"}", {}});
  EXPECT_EQ(transport_->Send({"POST", "https://login.test/t", "", {}}, stop_).body,
            "{\"access_token\":\"" + kSecret + "\"}");
}

TEST_F(SanitizingTransportTest, RefusesHeaderInjectionAndSendsNothing) {
  for (const std::string& bad : std::vector<std::string>{"key\r\nX-Injected: 1", "key\n", "key\r",
                                                         std::string("k\0y", 3), "key\x7f"}) {
    try {
      transport_->Send(
          {"POST", "https://intake.test/batch", "", {{"User-Agent", "connector-" + bad}}}, stop_);
      FAIL() << "no TransportError";
    } catch (const TransportError& error) {
      EXPECT_NE(std::string(error.what()).find("User-Agent"), std::string::npos) << error.what();
      EXPECT_EQ(std::string(error.what()).find("connector-"), std::string::npos)
          << "quotes the value";
    }
  }
  EXPECT_THROW(transport_->Send({"GET", "https://graph.test/a\r\nHost: evil", "", {}}, stop_),
               TransportError);
  EXPECT_THROW(transport_->Send({"GET", "https://graph.test/", "", {{"X-A\r\nB", "v"}}}, stop_),
               TransportError);
  EXPECT_THROW(transport_->Send({"GET /x HTTP/1.1\r\n", "https://graph.test/", "", {}}, stop_),
               TransportError);
  EXPECT_TRUE(inner_->requests().empty());
  inner_->Push({200, "", {}});
  transport_->Send({"GET", "https://graph.test/", "", {{"User-Agent", "tab\tis allowed"}}}, stop_);
  EXPECT_EQ(inner_->requests().size(), 1u);
}

TEST(HeaderValues, Token68IsWhatABearerTokenMayBe) {
  EXPECT_TRUE(http::IsToken68("eyJ0eXAi.eyJhdWQi.sig-_~+/"));
  EXPECT_TRUE(http::IsToken68("YWI="));
  EXPECT_FALSE(http::IsToken68(""));
  EXPECT_FALSE(http::IsToken68("=="));
  EXPECT_FALSE(http::IsToken68("token\r\nX-Injected: 1"));
  EXPECT_FALSE(http::IsToken68("two words"));
  EXPECT_FALSE(http::IsToken68("a=b"));
  EXPECT_FALSE(http::IsToken68("quote\""));
}

}  // namespace
}  // namespace sekoia
