#include "sekoia/auth/client_certificate_credential.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "sekoia/auth/token_request.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/url.hpp"
#include "token_request_detail.hpp"

namespace sekoia::auth {
namespace {

using Part = CertificateError::Part;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct DigestFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& text) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// An encrypted key would make OpenSSL ask for a passphrase on the terminal: refuse instead.
int NoPassphrase(char*, int, int, void*) { return -1; }

// OpenSSL's reason for the last failure, which never quotes the input.
std::string OpenSslReason() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "";
  const char* reason = ERR_reason_error_string(code);
  return reason ? std::string(" (") + reason + ")" : "";
}

TimePoint ToTimePoint(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return TimePoint{};
  // Clamped so that dates past 2262 stay inside the clock's range instead of overflowing it.
  const std::time_t seconds = ::timegm(&tm);
  const std::time_t limit = std::chrono::system_clock::to_time_t(TimePoint::max()) - 1;
  return std::chrono::system_clock::from_time_t(std::min(seconds, limit));
}

}  // namespace

struct ClientCertificate::Keys {
  std::unique_ptr<X509, X509Free> certificate;
  std::unique_ptr<EVP_PKEY, KeyFree> private_key;
};

std::string Base64Url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  return out;
}

ClientCertificate::ClientCertificate(const std::string& certificate_pem,
                                     const std::string& private_key_pem)
    : keys_(std::make_unique<Keys>()) {
  ERR_clear_error();
  if (certificate_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    throw CertificateError(
        Part::kCertificate,
        "not a PEM certificate; give the text from -----BEGIN CERTIFICATE----- to "
        "-----END CERTIFICATE-----");
  }
  auto bio = MemoryBio(certificate_pem);
  keys_->certificate.reset(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!keys_->certificate) {
    throw CertificateError(Part::kCertificate,
                           "the PEM certificate does not parse" + OpenSslReason());
  }
  if (private_key_pem.find("ENCRYPTED") != std::string::npos) {
    throw CertificateError(
        Part::kPrivateKey,
        "the private key is encrypted; give it unencrypted (PKCS#8 or PKCS#1 PEM, "
        "e.g. openssl pkey -in key.pem): the platform keeps it as a secret");
  }
  if (private_key_pem.find("PRIVATE KEY-----") == std::string::npos) {
    throw CertificateError(
        Part::kPrivateKey,
        "not a PEM private key; give the text from -----BEGIN PRIVATE KEY----- to "
        "-----END PRIVATE KEY-----");
  }
  bio = MemoryBio(private_key_pem);
  keys_->private_key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!keys_->private_key) {
    throw CertificateError(Part::kPrivateKey,
                           "the PEM private key does not parse" + OpenSslReason());
  }
  if (EVP_PKEY_base_id(keys_->private_key.get()) != EVP_PKEY_RSA) {
    throw CertificateError(
        Part::kPrivateKey,
        "the private key is not an RSA key; Microsoft checks PS256 (RSA-PSS) assertions");
  }
  if (X509_check_private_key(keys_->certificate.get(), keys_->private_key.get()) != 1) {
    ERR_clear_error();
    throw CertificateError(
        Part::kPrivateKey,
        "the private key does not belong to client_certificate; give the key the "
        "certificate was made with");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(keys_->certificate.get(), EVP_sha256(), digest, &length) != 1) {
    throw CertificateError(Part::kCertificate,
                           "cannot compute the certificate's thumbprint" + OpenSslReason());
  }
  thumbprint_ = Base64Url(std::string_view(reinterpret_cast<const char*>(digest), length));
  not_after_ = ToTimePoint(X509_get0_notAfter(keys_->certificate.get()));
}

ClientCertificate::~ClientCertificate() = default;

std::string ClientCertificate::SignPs256(const std::string& data) const {
  std::unique_ptr<EVP_MD_CTX, DigestFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_ctx = nullptr;  // owned by ctx
  std::size_t length = 0;
  // JWS PS256 (RFC 7518 section 3.5): RSASSA-PSS, SHA-256, MGF1 with SHA-256, a salt as long as
  // the digest. Microsoft documents PS256 with x5t#S256 for client assertions [CERT], as MSAL
  // sends.
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), &key_ctx, EVP_sha256(), nullptr, keys_->private_key.get()) !=
          1 ||
      EVP_PKEY_CTX_set_rsa_padding(key_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(key_ctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(key_ctx, EVP_sha256()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw std::runtime_error("cannot sign the client assertion" + OpenSslReason());
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw std::runtime_error("cannot sign the client assertion" + OpenSslReason());
  }
  signature.resize(length);
  return signature;
}

std::string MakeClientAssertion(const ClientCertificate& certificate, const std::string& client_id,
                                const std::string& token_url, TimePoint now,
                                std::chrono::seconds lifetime) {
  const long long issued =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // The claims Microsoft requires [CERT]; iat is listed there but not required, and MSAL omits it.
  nlohmann::json header = {
      {"alg", "PS256"}, {"typ", "JWT"}, {"x5t#S256", certificate.Sha256Thumbprint()}};
  nlohmann::json claims = {{"aud", token_url}, {"iss", client_id},
                           {"sub", client_id}, {"jti", NewRequestId()},
                           {"nbf", issued},    {"exp", issued + lifetime.count()}};
  std::string signing_input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
  return signing_input + "." + Base64Url(certificate.SignPs256(signing_input));
}

ClientCertificateCredential::ClientCertificateCredential(const ClientCertificateOptions& options,
                                                         const ClientCertificate& certificate,
                                                         http::HttpTransport& transport,
                                                         Clock& clock, SecretSink* secrets)
    : options_(options),
      certificate_(certificate),
      transport_(transport),
      clock_(clock),
      secrets_(secrets),
      cache_(clock, options.refresh_margin) {}

ClientCertificateCredential::~ClientCertificateCredential() = default;

void ClientCertificateCredential::Invalidate() { cache_.Invalidate(); }

std::string ClientCertificateCredential::GetToken(const StopSignal& stop) {
  return cache_.Get([&] {
    // A fresh assertion per request: each has its own jti and a short life, so a captured one
    // is worthless minutes later.
    std::string assertion =
        MakeClientAssertion(certificate_, options_.client_id, options_.token_url, clock_.Now(),
                            options_.assertion_lifetime);
    // Worthless once expired: it leaves the masking set then.
    if (secrets_) secrets_->AddUntil(assertion, clock_.Now() + options_.assertion_lifetime);
    try {
      AccessToken issued = detail::RequestToken(
          transport_, options_.token_url,
          "grant_type=client_credentials&client_id=" + PercentEncode(options_.client_id) +
              "&client_assertion_type=" +
              PercentEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
              "&client_assertion=" + PercentEncode(assertion) +
              "&scope=" + PercentEncode(options_.scope),
          clock_, secrets_, stop);
      Wipe(assertion);
      return issued;
    } catch (...) {
      Wipe(assertion);
      throw;
    }
  });
}

}  // namespace sekoia::auth
