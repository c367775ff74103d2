// The simulator's token endpoint checks client assertions as the spec says [CERT]: PS256 with
// x5t#S256 or RS256 with the SHA-1 x5t, aud/iss/sub/exp/nbf, and no jti twice. The assertions
// are built here with OpenSSL, independently of the trigger's code.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include "http_text.hpp"
#include "simulator.hpp"
#include "test_certificates.hpp"
#include "time_text.hpp"

namespace mtsim {
namespace {

constexpr const char* kBase = "http://127.0.0.1:1";
constexpr const char* kTokenPath = "/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token";
constexpr const char* kClient = "11111111-2222-3333-4444-555555555555";

std::string B64Url(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string Thumbprint(const std::string& pem, const EVP_MD* md) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(x509, md, digest, &length);
  X509_free(x509);
  return B64Url(std::string(reinterpret_cast<char*>(digest), length));
}

std::string Sign(const std::string& key_pem, bool pss, const std::string& input) {
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key);
  if (pss) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  std::size_t length = 0;
  EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string signature(length, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  signature.resize(length);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return signature;
}

struct Assertion {
  std::string alg = "PS256";
  bool pss = true;  // how it is really signed
  std::string thumbprint_header = "x5t#S256";
  bool sha1 = false;  // the thumbprint's digest
  std::string jti = "jti-1";
  long long nbf_offset = 0;  // seconds from now
  long long exp_offset = 600;
  std::string aud = std::string(kBase) + kTokenPath;
};

class TokenEndpoint : public ::testing::Test {
 protected:
  TokenEndpoint()
      : certificate_(sekoia::testing::MakeTestCertificate("simulator-test-only")),
        tenant_(Options()) {
    SimulatorOptions options;
    options.client_certificate_pem = certificate_.certificate_pem;
    simulator_ = std::make_unique<Simulator>(options, tenant_, kBase);
  }
  static TenantOptions Options() {
    TenantOptions options;
    options.records = 1;
    options.newest = NowMicros() - 60 * kMicrosPerSecond;
    options.oldest = options.newest - kMicrosPerDay;
    return options;
  }
  std::string Jwt(const Assertion& a) const {
    const long long now = NowMicros() / 1000000;
    Json header = {{"alg", a.alg},
                   {"typ", "JWT"},
                   {a.thumbprint_header,
                    Thumbprint(certificate_.certificate_pem, a.sha1 ? EVP_sha1() : EVP_sha256())}};
    Json claims = {{"aud", a.aud},
                   {"iss", kClient},
                   {"sub", kClient},
                   {"jti", a.jti},
                   {"nbf", now + a.nbf_offset},
                   {"exp", now + a.exp_offset}};
    const std::string input = B64Url(header.dump()) + "." + B64Url(claims.dump());
    return input + "." + B64Url(Sign(certificate_.private_key_pem, a.pss, input));
  }
  // "<status>" or "<status> <AADSTS code>".
  std::string Answer(const Assertion& a) {
    Request request;
    request.method = "POST";
    request.raw_path = kTokenPath;
    request.path = kTokenPath;
    request.body =
        std::string("grant_type=client_credentials&client_id=") + kClient +
        "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=" +
        PercentEncode(Jwt(a)) + "&scope=" + PercentEncode("https://graph.microsoft.com/.default");
    const Reply reply = simulator_->Handle(request);
    if (reply.status == 200) return "200";
    const Json error = Json::parse(reply.body);
    last_description_ = error["error_description"].get<std::string>();
    return std::to_string(reply.status) + " " +
           std::to_string(error["error_codes"][0].get<long long>());
  }
  sekoia::testing::TestCertificate certificate_;
  Tenant tenant_;
  std::unique_ptr<Simulator> simulator_;
  std::string last_description_;
};

TEST_F(TokenEndpoint, AcceptsPs256WithX5tS256AndRs256WithTheSha1X5t) {
  EXPECT_EQ(Answer(Assertion{}), "200");
  Assertion rs256;
  rs256.alg = "RS256";
  rs256.pss = false;
  rs256.thumbprint_header = "x5t";
  rs256.sha1 = true;
  rs256.jti = "jti-2";
  EXPECT_EQ(Answer(rs256), "200");
}

TEST_F(TokenEndpoint, RefusesThePairingsNoDocumentShows) {
  Assertion rs256_s256;  // RS256 with x5t#S256: documented nowhere
  rs256_s256.alg = "RS256";
  rs256_s256.pss = false;
  EXPECT_EQ(Answer(rs256_s256), "401 50027");
  Assertion ps256_sha1;
  ps256_sha1.thumbprint_header = "x5t";
  ps256_sha1.sha1 = true;
  EXPECT_EQ(Answer(ps256_sha1), "401 50027");
  Assertion pkcs1_as_pss;  // says PS256, signed PKCS#1 v1.5
  pkcs1_as_pss.pss = false;
  EXPECT_EQ(Answer(pkcs1_as_pss), "401 700027");
  Assertion es256;
  es256.alg = "ES256";
  EXPECT_EQ(Answer(es256), "401 5002738");
}

TEST_F(TokenEndpoint, ChecksAudienceTimesAndReplays) {
  Assertion wrong_aud;
  wrong_aud.aud = "https://login.microsoftonline.com/other/oauth2/v2.0/token";
  EXPECT_EQ(Answer(wrong_aud), "401 700212");
  Assertion expired;
  expired.jti = "jti-3";
  expired.nbf_offset = -3600;
  expired.exp_offset = -1200;
  EXPECT_EQ(Answer(expired), "401 700024");
  Assertion future;
  future.jti = "jti-4";
  future.nbf_offset = 1200;
  future.exp_offset = 1800;
  EXPECT_EQ(Answer(future), "401 700024");
  Assertion once;
  once.jti = "jti-5";
  EXPECT_EQ(Answer(once), "200");
  EXPECT_EQ(Answer(once), "401 7000273");  // the same jti again
  // Entra's description ends with the ids support asks for [CC].
  EXPECT_NE(last_description_.find("\r\nTrace ID: "), std::string::npos);
  EXPECT_NE(last_description_.find("\r\nCorrelation ID: "), std::string::npos);
  EXPECT_NE(last_description_.find("\r\nTimestamp: "), std::string::npos);
}

}  // namespace
}  // namespace mtsim
