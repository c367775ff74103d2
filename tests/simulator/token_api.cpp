// Azure AD v2 token endpoint: POST /{tenant}/oauth2/v2.0/token, client credentials with a
// client secret or a certificate (a client assertion, RFC 7523, verified as Microsoft does).
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include "http_text.hpp"
#include "simulator.hpp"
#include "time_text.hpp"

namespace mtsim {
namespace {

constexpr std::string_view kGraphScope = "https://graph.microsoft.com/.default";
constexpr std::string_view kOutlookScope = "https://outlook.office365.com/.default";

// Azure AD's error shape (samples/token_error.json).
Reply AadError(int status, const std::string& error, int code, const std::string& description) {
  Reply reply;
  reply.status = status;
  reply.headers.emplace_back("Cache-Control", "no-store, no-cache");
  // error_description ends with the trace and correlation ids and the timestamp [CC].
  const std::string timestamp = FormatAadTimestamp(NowMicros());
  const std::string trace_id = NewGuid();
  const std::string correlation_id = NewGuid();
  reply.body =
      Dump({{"error", error},
            {"error_description",
             "AADSTS" + std::to_string(code) + ": " + description + "\r\nTrace ID: " + trace_id +
                 "\r\nCorrelation ID: " + correlation_id + "\r\nTimestamp: " + timestamp},
            {"error_codes", {code}},
            {"timestamp", timestamp},
            {"trace_id", trace_id},
            {"correlation_id", correlation_id}});
  return reply;
}

Reply MissingParameter(const std::string& name) {
  return AadError(400, "invalid_request", 900144,
                  "The request body must contain the following parameter: '" + name + "'.");
}

constexpr std::string_view kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr long long kClockSkewSeconds = 300;  // Azure AD's tolerance for nbf and exp

std::optional<std::string> Base64UrlDecode(std::string text) {
  for (char& c : text) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;  // base64url has neither
  }
  return Base64Decode(text);
}

std::string Base64UrlEncode(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// The certificate registered for the application (the public part Microsoft keeps).
struct RegisteredCertificate {
  std::unique_ptr<X509, X509Deleter> x509;
  std::string thumbprint;       // base64url SHA-256 of the DER form (x5t#S256)
  std::string sha1_thumbprint;  // base64url SHA-1 of the DER form (x5t, with RS256 only)
  Micros not_before = 0;
  Micros not_after = 0;
};

std::optional<RegisteredCertificate> ParseCertificate(const std::string& pem) {
  if (pem.empty()) return std::nullopt;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  RegisteredCertificate out;
  out.x509.reset(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!out.x509) return std::nullopt;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(out.x509.get(), EVP_sha256(), digest, &length);
  out.thumbprint = Base64UrlEncode(digest, length);
  X509_digest(out.x509.get(), EVP_sha1(), digest, &length);
  out.sha1_thumbprint = Base64UrlEncode(digest, length);
  auto micros = [](const ASN1_TIME* time) {
    int days = 0, seconds = 0;  // difference from the epoch
    ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
    ASN1_TIME_diff(&days, &seconds, epoch, time);
    ASN1_TIME_free(epoch);
    return (static_cast<Micros>(days) * 86400 + seconds) * 1000000;
  };
  out.not_before = micros(X509_get0_notBefore(out.x509.get()));
  out.not_after = micros(X509_get0_notAfter(out.x509.get()));
  return out;
}

// RS256 (PKCS#1 v1.5) or PS256 (RSA-PSS, SHA-256, MGF1-SHA-256, salt of the digest's length,
// RFC 7518 section 3.5).
bool VerifySignature(X509* x509, bool pss, const std::string& signing_input,
                     const std::string& signature) {
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(X509_get_pubkey(x509));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = key && ctx && EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, key.get()) == 1;
  if (ok && pss) {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
  }
  ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                              signature.size(),
                              reinterpret_cast<const unsigned char*>(signing_input.data()),
                              signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Reply InvalidAssertion(int code, const std::string& description) {
  return AadError(401, "invalid_client", code, description);
}

// Checks a client assertion as Azure AD does; nullopt when it is accepted.
// On acceptance, `jti` and `expires` (epoch seconds past which a replay would be refused anyway)
// are set, for the caller's replay check.
std::optional<Reply> CheckAssertion(const std::string& assertion,
                                    const std::string& certificate_pem,
                                    const std::string& client_id, const std::string& token_url,
                                    std::string* jti, long long* expires) {
  const Reply malformed = InvalidAssertion(50027, "JWT token is invalid or malformed.");
  const std::size_t dot1 = assertion.find('.');
  const std::size_t dot2 = dot1 == std::string::npos ? dot1 : assertion.find('.', dot1 + 1);
  if (dot2 == std::string::npos || assertion.find('.', dot2 + 1) != std::string::npos)
    return malformed;
  auto header_text = Base64UrlDecode(assertion.substr(0, dot1));
  auto claims_text = Base64UrlDecode(assertion.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = Base64UrlDecode(assertion.substr(dot2 + 1));
  if (!header_text || !claims_text || !signature) return malformed;
  const Json header = Json::parse(*header_text, nullptr, false);
  const Json claims = Json::parse(*claims_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) return malformed;
  // The pairs Microsoft documents [CERT]: PS256 with x5t#S256 (current), RS256 with the SHA-1
  // x5t (older revisions). Anything else is refused.
  const std::string alg = header.value("alg", "");
  const bool pss = alg == "PS256";
  if (!pss && alg != "RS256") {
    return InvalidAssertion(
        5002738, "Invalid JWT token. '" + alg + "' is not a supported signature algorithm.");
  }
  const char* thumbprint_header = pss ? "x5t#S256" : "x5t";
  if (!header.contains(thumbprint_header) || !header[thumbprint_header].is_string()) {
    return InvalidAssertion(50027, std::string("JWT token is invalid or malformed. ") + alg +
                                       " requires the header '" + thumbprint_header + "'.");
  }
  const std::string thumbprint = header[thumbprint_header].get<std::string>();
  auto registered = ParseCertificate(certificate_pem);
  if (!registered || thumbprint != (pss ? registered->thumbprint : registered->sha1_thumbprint)) {
    return InvalidAssertion(
        700027,
        "Client assertion contains an invalid signature. [Reason - The key was not "
        "found., Thumbprint of key used by client: '" +
            thumbprint + "']");
  }
  const Micros now = NowMicros();
  if (now < registered->not_before || now > registered->not_after) {
    return InvalidAssertion(
        700027,
        "Client assertion contains an invalid signature. [Reason - The key used is "
        "expired., Thumbprint of key used by client: '" +
            thumbprint + "', Found key 'Start=" + FormatAadTimestamp(registered->not_before) +
            ", End=" + FormatAadTimestamp(registered->not_after) + "']");
  }
  if (!VerifySignature(registered->x509.get(), pss, assertion.substr(0, dot2), *signature)) {
    return InvalidAssertion(
        700027,
        "Client assertion contains an invalid signature. [Reason - The provided "
        "signature value did not match the expected signature value., Thumbprint "
        "of key used by client: '" +
            thumbprint + "']");
  }
  for (const char* claim : {"aud", "iss", "sub", "jti"}) {
    if (!claims.contains(claim) || !claims[claim].is_string()) {
      return InvalidAssertion(50027, std::string("JWT token is invalid or malformed. The claim '") +
                                         claim + "' is missing.");
    }
  }
  if (claims["aud"].get<std::string>() != token_url) {
    return InvalidAssertion(700212,
                            "No matching federated identity record found for presented assertion "
                            "audience '" +
                                claims["aud"].get<std::string>() + "'.");
  }
  if (!IEquals(claims["iss"].get<std::string>(), client_id) ||
      !IEquals(claims["sub"].get<std::string>(), client_id)) {
    return InvalidAssertion(
        700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
  }
  if (!claims.contains("exp") || !claims["exp"].is_number_integer() || !claims.contains("nbf") ||
      !claims["nbf"].is_number_integer()) {
    return InvalidAssertion(
        50027, "JWT token is invalid or malformed. The claims 'exp' and 'nbf' must be numbers.");
  }
  const long long seconds = now / 1000000;
  const long long exp = claims["exp"].get<long long>();
  const long long nbf = claims["nbf"].get<long long>();
  if (exp + kClockSkewSeconds < seconds || nbf - kClockSkewSeconds > seconds) {
    return InvalidAssertion(700024,
                            "Client assertion is not within its valid time range. Current time: " +
                                FormatAadTimestamp(now) + ", assertion valid from " +
                                FormatAadTimestamp(nbf * 1000000) + ", expiry time of assertion " +
                                FormatAadTimestamp(exp * 1000000) + ".");
  }
  if (exp <= nbf) {
    return InvalidAssertion(
        700024,
        "Client assertion is not within its valid time range: it expires before it "
        "becomes valid.");
  }
  *jti = claims["jti"].get<std::string>();
  *expires = exp + kClockSkewSeconds;
  return std::nullopt;
}

}  // namespace

Reply Simulator::HandleToken(const Request& request, const std::string& tenant) {
  Count(Counter::kTokenRequests);
  if (faults_.DrawToken503()) {
    Reply reply = AadError(503, "temporarily_unavailable", 90033,
                           "A transient error has occurred. Please try again.");
    return reply;
  }
  if (!IEquals(tenant, options_.tenant_id)) {
    return AadError(400, "invalid_request", 90002,
                    "Tenant '" + tenant +
                        "' not found. Check to make sure you have the correct tenant ID and are "
                        "signing into the correct cloud. Check with your subscription "
                        "administrator, this may happen if there are no active subscriptions "
                        "for the tenant.");
  }
  const QueryParams form(request.body);
  const QueryParam* grant_type = form.Find("grant_type");
  const QueryParam* client_id = form.Find("client_id");
  const QueryParam* client_secret = form.Find("client_secret");
  const QueryParam* assertion = form.Find("client_assertion");
  const QueryParam* assertion_type = form.Find("client_assertion_type");
  const QueryParam* scope = form.Find("scope");

  if (grant_type == nullptr) return MissingParameter("grant_type");
  if (grant_type->value != "client_credentials") {
    return AadError(400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '" + grant_type->value + "'.");
  }
  if (client_id == nullptr) return MissingParameter("client_id");
  if (!IEquals(client_id->value, options_.client_id)) {
    return AadError(400, "unauthorized_client", 700016,
                    "Application with identifier '" + client_id->value +
                        "' was not found in the directory '" + tenant +
                        "'. This can happen if the application has not been installed by the "
                        "administrator of the tenant or consented to by any user in the tenant. "
                        "You may have sent your authentication request to the wrong tenant.");
  }
  if (assertion != nullptr || assertion_type != nullptr) {
    Count(Counter::kTokenClientAssertions);
    if (assertion_type == nullptr || assertion_type->value != kJwtBearer) {
      return AadError(400, "invalid_request", 700026,
                      "Client assertion type must be '" + std::string(kJwtBearer) + "'.");
    }
    if (assertion == nullptr) return MissingParameter("client_assertion");
    // `aud` must name this very endpoint, as the client reached it.
    std::string jti;
    long long expires = 0;
    if (auto refused =
            CheckAssertion(assertion->value, options_.client_certificate_pem, options_.client_id,
                           base_url_ + request.raw_path, &jti, &expires)) {
      return *refused;
    }
    // Entra refuses a replayed assertion; the code it answers with is not documented: one of
    // the invalid_client family stands for it.
    if (!RememberJti(jti, expires)) {
      return InvalidAssertion(7000273,
                              "The client assertion was already used: each must have its own 'jti' "
                              "claim (replay).");
    }
  } else if (client_secret == nullptr) {
    return AadError(401, "invalid_client", 7000218,
                    "The request body must contain the following parameter: 'client_assertion' "
                    "or 'client_secret'.");
  } else if (client_secret->value != options_.client_secret) {
    return AadError(401, "invalid_client", 7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID, for a secret added to "
                    "app '" +
                        options_.client_id + "'.");
  }
  if (scope == nullptr) return MissingParameter("scope");
  TokenScope token_scope;
  if (IEquals(scope->value, kGraphScope)) {
    token_scope = TokenScope::kGraph;
  } else if (IEquals(scope->value, kOutlookScope)) {
    token_scope = TokenScope::kOutlook;
  } else {
    return AadError(400, "invalid_scope", 70011,
                    "The provided request must include a 'scope' input parameter. The provided "
                    "value for the input parameter 'scope' is not valid. The scope " +
                        scope->value + " is not valid.");
  }
  const long long ttl = options_.token_ttl.count();
  // Early expiry: the answer announces token_ttl, the token dies after token_valid.
  const std::chrono::seconds lifetime = options_.token_valid.count() > 0
                                            ? std::min(options_.token_valid, options_.token_ttl)
                                            : options_.token_ttl;
  Reply reply;
  reply.headers.emplace_back("Cache-Control", "no-store, no-cache");
  reply.body = Dump({{"token_type", "Bearer"},
                     {"expires_in", ttl},
                     {"ext_expires_in", ttl},
                     {"access_token", tokens_.Issue(token_scope, lifetime)}});
  return reply;
}

}  // namespace mtsim
