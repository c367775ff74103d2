#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sekoia/auth/token_cache.hpp"
#include "sekoia/auth/token_provider.hpp"
#include "sekoia/clock.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/secret_sink.hpp"

namespace sekoia::auth {

/** A certificate credential that cannot be used; `part()` says which PEM is at fault. */
class CertificateError : public std::runtime_error {
 public:
  enum class Part { kCertificate, kPrivateKey };
  CertificateError(Part part, const std::string& message)
      : std::runtime_error(message), part_(part) {}
  Part part() const { return part_; }

 private:
  Part part_;
};

/**
 * An X.509 certificate and its RSA private key, parsed from PEM and checked to belong together.
 * The private key lives in OpenSSL's memory only; no method returns it. Immutable, thread-safe.
 */
class ClientCertificate final {
 public:
  /** Throws CertificateError naming the PEM that does not parse, an encrypted or non-RSA key,
   *  or a key that does not match the certificate. Never quotes the key in its message. */
  ClientCertificate(const std::string& certificate_pem, const std::string& private_key_pem);
  ~ClientCertificate();
  ClientCertificate(const ClientCertificate&) = delete;
  ClientCertificate& operator=(const ClientCertificate&) = delete;

  /** base64url(SHA-256(DER certificate)), no padding: the JWT header's `x5t#S256`. */
  const std::string& Sha256Thumbprint() const { return thumbprint_; }
  /** The certificate's notAfter. */
  TimePoint NotAfter() const { return not_after_; }
  /** RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (JWS PS256) of `data`.
   *  Throws std::runtime_error. */
  std::string SignPs256(const std::string& data) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string thumbprint_;
  TimePoint not_after_{};
};

/** Base64url without padding (RFC 7515 section 2). */
std::string Base64Url(std::string_view bytes);

/**
 * A client assertion (RFC 7523, Microsoft's "certificate credentials"): a JWT signed PS256 whose
 * header carries `x5t#S256` (base64url SHA-256 of the certificate DER), with `aud` = the token
 * endpoint, `iss` = `sub` = the client id, a fresh `jti`, `nbf` = now and `exp` = now + `lifetime`.
 */
std::string MakeClientAssertion(const ClientCertificate& certificate, const std::string& client_id,
                                const std::string& token_url, TimePoint now,
                                std::chrono::seconds lifetime);

struct ClientCertificateOptions final {
  std::string token_url;  ///< https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
  std::string client_id;
  std::string scope;                             ///< e.g. https://graph.microsoft.com/.default
  std::chrono::seconds refresh_margin{300};      ///< refresh this long before the token expires
  std::chrono::seconds assertion_lifetime{600};  ///< exp - nbf of each assertion
};

/** OAuth 2.0 client-credentials grant authenticated by a signed client assertion. Thread-safe.
 *  `transport` and `clock` are borrowed and must outlive it. */
class ClientCertificateCredential final : public TokenProvider {
 public:
  /** `certificate` is borrowed and must outlive the credential; `secrets` (optional) is told of
   *  each access token obtained, so logs can mask it. */
  ClientCertificateCredential(const ClientCertificateOptions& options,
                              const ClientCertificate& certificate, http::HttpTransport& transport,
                              Clock& clock, SecretSink* secrets = nullptr);
  ~ClientCertificateCredential() override;  ///< the cache wipes the token
  std::string GetToken(const StopSignal& stop) override;
  void Invalidate() override;

 private:
  ClientCertificateOptions options_;
  const ClientCertificate& certificate_;
  http::HttpTransport& transport_;
  Clock& clock_;
  SecretSink* secrets_;
  TokenCache cache_;
};

}  // namespace sekoia::auth
