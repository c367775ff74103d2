#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "sekoia/clock.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/secret_sink.hpp"

namespace sekoia::auth {

/** Supplies a bearer token for a service. Thread-safe. */
class TokenProvider {
 public:
  virtual ~TokenProvider() = default;
  /** A valid token, cached or fetched. Throws AuthError (refused: fix the credentials),
   *  HttpStatusError or TransportError (the token service failed), StopRequested. */
  virtual std::string GetToken(const StopSignal& stop) = 0;
  /** Drops the cached token (after a 401), so the next GetToken fetches a new one. */
  virtual void Invalidate() = 0;
};

struct ClientCredentialsOptions final {
  std::string token_url;      ///< https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
  std::string client_id;
  std::string client_secret;  ///< secret: never logged
  std::string scope;          ///< e.g. https://graph.microsoft.com/.default
  std::chrono::seconds refresh_margin{300};  ///< refresh this long before expiry
};

/** A random version-4 UUID (client assertion jti, client-request-id headers). Throws
 *  std::runtime_error when the system has no random bytes. */
std::string NewRequestId();

/** Explains a Microsoft identity platform error answer: its AADSTS code, the fix to apply when a
 *  user can, and the trace id, correlation id and timestamp Microsoft support asks for. */
std::string DescribeTokenError(int status, const std::string& body);

/** OAuth 2.0 client-credentials grant with a client secret (Microsoft identity platform). */
class ClientSecretCredential final : public TokenProvider {
 public:
  /** `secrets` (optional) is told of each access token obtained, so logs can mask it. */
  ClientSecretCredential(const ClientCredentialsOptions& options, http::HttpTransport& transport,
                         Clock& clock, SecretSink* secrets = nullptr);
  ~ClientSecretCredential() override;  ///< wipes the secret and the token
  std::string GetToken(const StopSignal& stop) override;
  void Invalidate() override;

 private:
  ClientCredentialsOptions options_;
  http::HttpTransport& transport_;
  Clock& clock_;
  SecretSink* secrets_;
  std::mutex mutex_;
  std::string token_;
  TimePoint expires_at_{};
};

}  // namespace sekoia::auth
