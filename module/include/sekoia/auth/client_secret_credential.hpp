#pragma once

#include <chrono>
#include <string>

#include "sekoia/auth/token_cache.hpp"
#include "sekoia/auth/token_provider.hpp"
#include "sekoia/clock.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/secret_sink.hpp"

namespace sekoia::auth {

struct ClientCredentialsOptions final {
  std::string token_url;  ///< https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
  std::string client_id;
  std::string client_secret;                 ///< secret: never logged
  std::string scope;                         ///< e.g. https://graph.microsoft.com/.default
  std::chrono::seconds refresh_margin{300};  ///< refresh this long before expiry
};

/** OAuth 2.0 client-credentials grant with a client secret (Microsoft identity platform).
 *  Thread-safe. `transport` and `clock` are borrowed and must outlive it. */
class ClientSecretCredential final : public TokenProvider {
 public:
  /** `secrets` (optional) is told of each access token obtained, so logs can mask it. */
  ClientSecretCredential(const ClientCredentialsOptions& options, http::HttpTransport& transport,
                         Clock& clock, SecretSink* secrets = nullptr);
  ~ClientSecretCredential() override;  ///< wipes the secret; the cache wipes the token
  std::string GetToken(const StopSignal& stop) override;
  void Invalidate() override;

 private:
  ClientCredentialsOptions options_;
  http::HttpTransport& transport_;
  Clock& clock_;
  SecretSink* secrets_;
  TokenCache cache_;
};

}  // namespace sekoia::auth
