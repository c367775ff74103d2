#include "sekoia/auth/client_secret_credential.hpp"

#include "sekoia/url.hpp"
#include "token_request_detail.hpp"

namespace sekoia::auth {

ClientSecretCredential::ClientSecretCredential(const ClientCredentialsOptions& options,
                                               http::HttpTransport& transport, Clock& clock,
                                               SecretSink* secrets)
    : options_(options),
      transport_(transport),
      clock_(clock),
      secrets_(secrets),
      cache_(clock, options.refresh_margin) {}

ClientSecretCredential::~ClientSecretCredential() { Wipe(options_.client_secret); }

void ClientSecretCredential::Invalidate() { cache_.Invalidate(); }

std::string ClientSecretCredential::GetToken(const StopSignal& stop) {
  return cache_.Get([&] {
    return detail::RequestToken(
        transport_, options_.token_url,
        "grant_type=client_credentials&client_id=" + PercentEncode(options_.client_id) +
            "&client_secret=" + PercentEncode(options_.client_secret) +
            "&scope=" + PercentEncode(options_.scope),
        clock_, secrets_, stop);
  });
}

}  // namespace sekoia::auth
