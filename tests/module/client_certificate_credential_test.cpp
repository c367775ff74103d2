#include "sekoia/auth/client_certificate_credential.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "sekoia/auth/client_secret_credential.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/redaction.hpp"
#include "test_certificates.hpp"

namespace sekoia::auth {
namespace {

using testing::MakeTestCertificate;

const std::string kTokenUrl = "https://login.test/tenant-1/oauth2/v2.0/token";

std::string Base64UrlDecode(std::string text) {
  for (char& c : text) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
  }
  while (text.size() % 4) text.push_back('=');
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n) - (text.size() - text.find_last_not_of('=') - 1));
  return out;
}

std::vector<std::string> SplitJwt(const std::string& jwt) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = jwt.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(jwt.substr(start, dot - start));
  parts.push_back(jwt.substr(start));
  return parts;
}

// Verifies a PS256 signature (RSA-PSS, SHA-256, MGF1-SHA-256, salt of 32 bytes exactly) with
// the certificate's public key, with OpenSSL directly, independently of the code under test.
bool VerifyPs256(const std::string& certificate_pem, const std::string& signing_input,
                 const std::string& signature, int salt_length = 32) {
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_PKEY* key = X509_get_pubkey(x509);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, key) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_length) == 1 &&
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  X509_free(x509);
  return ok;
}

std::string Sha256OfDer(const std::string& certificate_pem) {
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  unsigned char* der = nullptr;
  int length = i2d_X509(x509, &der);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(length), digest);
  OPENSSL_free(der);
  X509_free(x509);
  return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

TEST(ClientCertificate, ThumbprintIsTheBase64UrlSha256OfTheDerCertificate) {
  auto pair = MakeTestCertificate();
  ClientCertificate certificate(pair.certificate_pem, pair.private_key_pem);
  EXPECT_EQ(Base64UrlDecode(certificate.Sha256Thumbprint()), Sha256OfDer(pair.certificate_pem));
  EXPECT_EQ(certificate.Sha256Thumbprint().find_first_of("+/="), std::string::npos);
}

TEST(ClientCertificate, ReportsItsExpiry) {
  auto pair = MakeTestCertificate("test-only", -7200, -3600);
  ClientCertificate certificate(pair.certificate_pem, pair.private_key_pem);
  auto ago = std::chrono::system_clock::now() - certificate.NotAfter();
  EXPECT_GT(ago, std::chrono::minutes(59));
  EXPECT_LT(ago, std::chrono::minutes(61));
}

TEST(ClientCertificate, AssertionIsAPs256JwtWithMicrosoftsClaims) {
  auto pair = MakeTestCertificate();
  ClientCertificate certificate(pair.certificate_pem, pair.private_key_pem);
  const TimePoint now = TimePoint(std::chrono::seconds(1769000000));
  std::string jwt =
      MakeClientAssertion(certificate, "client-1", kTokenUrl, now, std::chrono::seconds(600));
  auto parts = SplitJwt(jwt);
  ASSERT_EQ(parts.size(), 3u);
  auto header = nlohmann::json::parse(Base64UrlDecode(parts[0]));
  EXPECT_EQ(header["alg"], "PS256");
  EXPECT_FALSE(header.contains("x5t"));  // the SHA-1 thumbprint goes with RS256 only
  EXPECT_EQ(header["typ"], "JWT");
  EXPECT_EQ(header["x5t#S256"], certificate.Sha256Thumbprint());
  auto claims = nlohmann::json::parse(Base64UrlDecode(parts[1]));
  EXPECT_EQ(claims["aud"], kTokenUrl);
  EXPECT_EQ(claims["iss"], "client-1");
  EXPECT_EQ(claims["sub"], "client-1");
  EXPECT_EQ(claims["nbf"], 1769000000);
  EXPECT_EQ(claims["exp"], 1769000600);
  EXPECT_EQ(claims["jti"].get<std::string>().size(), 36u);
  EXPECT_FALSE(claims.contains("iat"));
  EXPECT_EQ(claims.size(), 6u);
  EXPECT_TRUE(
      VerifyPs256(pair.certificate_pem, parts[0] + "." + parts[1], Base64UrlDecode(parts[2])));
  // Not PKCS#1 v1.5 (RS256), and the salt is the digest's length, not the largest possible.
  EXPECT_FALSE(
      VerifyPs256(pair.certificate_pem, parts[0] + "." + parts[1], Base64UrlDecode(parts[2]), 64));
  // Another key's certificate does not verify it.
  EXPECT_FALSE(VerifyPs256(MakeTestCertificate().certificate_pem, parts[0] + "." + parts[1],
                           Base64UrlDecode(parts[2])));
  // Each assertion has its own jti.
  auto again = nlohmann::json::parse(Base64UrlDecode(SplitJwt(
      MakeClientAssertion(certificate, "client-1", kTokenUrl, now, std::chrono::seconds(600)))[1]));
  EXPECT_NE(again["jti"], claims["jti"]);
}

TEST(ClientCertificate, RefusesWhatCannotSignAndNamesThePem) {
  auto pair = MakeTestCertificate();
  auto other = MakeTestCertificate();
  auto part = [](const std::string& cert, const std::string& key) {
    try {
      ClientCertificate certificate(cert, key);
    } catch (const CertificateError& error) {
      // The message never quotes key material.
      EXPECT_EQ(std::string(error.what()).find("MII"), std::string::npos) << error.what();
      return error.part() == CertificateError::Part::kCertificate ? std::string("certificate")
                                                                  : std::string("key");
    }
    return std::string("accepted");
  };
  EXPECT_EQ(part(pair.certificate_pem, pair.private_key_pem), "accepted");
  EXPECT_EQ(part("hello", pair.private_key_pem), "certificate");
  EXPECT_EQ(
      part("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", pair.private_key_pem),
      "certificate");
  EXPECT_EQ(part(pair.certificate_pem, "hello"), "key");
  EXPECT_EQ(part(pair.certificate_pem, pair.private_key_pem.substr(0, 200)), "key");
  EXPECT_EQ(part(pair.certificate_pem, other.private_key_pem), "key");  // not the certificate's key
  EXPECT_EQ(part(pair.certificate_pem, testing::EncryptPrivateKey(pair.private_key_pem, "pass")),
            "key");
  auto ec = MakeTestCertificate("ec", -60, 86400, "", false);
  EXPECT_EQ(part(ec.certificate_pem, ec.private_key_pem), "key");  // PS256 needs RSA
}

TEST(ClientCertificateCredential, PostsASignedAssertionAndNoSecret) {
  auto pair = MakeTestCertificate();
  ClientCertificate certificate(pair.certificate_pem, pair.private_key_pem);
  testing::FakeTransport transport;
  testing::FakeClock clock;
  Redactor redactor;
  transport.Push({200, R"({"access_token":"access-token-1","expires_in":3599})", {}});
  ClientCertificateCredential credential(
      {kTokenUrl, "client 1", "https://graph.microsoft.com/.default"}, certificate, transport,
      clock, &redactor);
  StopSignal stop;
  EXPECT_EQ(credential.GetToken(stop), "access-token-1");
  auto request = transport.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, kTokenUrl);
  EXPECT_EQ(
      request.body.rfind(
          "grant_type=client_credentials&client_id=client%201&client_assertion_type="
          "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=",
          0),
      0u)
      << request.body;
  EXPECT_NE(request.body.find("&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
            std::string::npos);
  EXPECT_EQ(request.body.find("client_secret"), std::string::npos);
  // The token and the assertion are masked from then on.
  EXPECT_EQ(redactor.Apply("Bearer access-token-1"), "Bearer ***");
  auto start = request.body.find("client_assertion=") + 17;
  std::string assertion = request.body.substr(start, request.body.find('&', start) - start);
  EXPECT_EQ(redactor.Apply(assertion), "***");
}

TEST(ClientCertificateCredential, CachesAndSignsAFreshAssertionForEachToken) {
  auto pair = MakeTestCertificate();
  ClientCertificate certificate(pair.certificate_pem, pair.private_key_pem);
  testing::FakeTransport transport;
  testing::FakeClock clock;
  transport.Push({200, R"({"access_token":"t1","expires_in":3599})", {}});
  transport.Push({200, R"({"access_token":"t2","expires_in":3599})", {}});
  ClientCertificateCredential credential({kTokenUrl, "c", "s"}, certificate, transport, clock);
  StopSignal stop;
  EXPECT_EQ(credential.GetToken(stop), "t1");
  clock.Advance(std::chrono::seconds(3000));
  EXPECT_EQ(credential.GetToken(stop), "t1");
  clock.Advance(std::chrono::seconds(400));
  EXPECT_EQ(credential.GetToken(stop), "t2");
  ASSERT_EQ(transport.requests().size(), 2u);
  EXPECT_NE(transport.requests()[0].body, transport.requests()[1].body);
}

TEST(ClientCertificateCredential, RefusedAssertionSaysWhatToCheck) {
  auto pair = MakeTestCertificate();
  ClientCertificate certificate(pair.certificate_pem, pair.private_key_pem);
  testing::FakeTransport transport;
  testing::FakeClock clock;
  transport.Push(
      {401,
       R"({"error":"invalid_client","error_description":"AADSTS700027: Client assertion failed signature validation.","error_codes":[700027]})",
       {}});
  ClientCertificateCredential credential({kTokenUrl, "c", "s"}, certificate, transport, clock);
  StopSignal stop;
  try {
    credential.GetToken(stop);
    FAIL() << "no AuthError";
  } catch (const AuthError& error) {
    EXPECT_NE(std::string(error.what()).find("AADSTS700027"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("certificate"), std::string::npos);
  }
}

TEST(ClientSecretCredential, ReportsEachNewTokenToTheSecretSink) {
  testing::FakeTransport transport;
  testing::FakeClock clock;
  Redactor redactor;
  transport.Push({200, R"({"access_token":"first-token","expires_in":3599})", {}});
  transport.Push({200, R"({"access_token":"second-token","expires_in":3599})", {}});
  ClientSecretCredential credential({kTokenUrl, "c", "secret", "s"}, transport, clock, &redactor);
  StopSignal stop;
  credential.GetToken(stop);
  credential.Invalidate();
  credential.GetToken(stop);
  EXPECT_EQ(redactor.Apply("first-token second-token"), "*** ***");
}

TEST(Redactor, MasksEveryLineOfAMultiLineSecret) {
  auto pair = MakeTestCertificate();
  Redactor redactor;
  redactor.AddEachLine(pair.private_key_pem);
  std::string second_line = pair.private_key_pem.substr(pair.private_key_pem.find('\n') + 1);
  second_line = second_line.substr(0, second_line.find('\n'));
  EXPECT_EQ(redactor.Apply("key line: " + second_line), "key line: ***");
  EXPECT_EQ(redactor.Apply(pair.private_key_pem), "***");
  EXPECT_EQ(redactor.Apply("-----BEGIN PRIVATE KEY-----"), "-----BEGIN PRIVATE KEY-----");
}

}  // namespace
}  // namespace sekoia::auth
