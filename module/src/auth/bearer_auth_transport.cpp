#include "sekoia/auth/bearer_auth_transport.hpp"

#include "sekoia/errors.hpp"
#include "sekoia/url.hpp"

namespace sekoia::auth {

http::HttpResponse BearerAuthTransport::Send(const http::HttpRequest& request, const StopSignal& stop) {
  auto url = ParseUrl(request.url);
  if (!url || !IsSecureOrLoopback(*url)) {
    // A next link pointing elsewhere must never receive the tenant's token.
    throw TransportError("refusing to send a bearer token to a URL that is not https: " +
                         (url ? url->scheme + "://" + url->host : std::string("(invalid URL)")));
  }
  for (int attempt = 1;; ++attempt) {
    http::HttpRequest authorized = request;
    authorized.headers.emplace_back("Authorization", "Bearer " + tokens_.GetToken(stop));
    http::HttpResponse response = inner_.Send(authorized, stop);
    if (response.status != 401 || attempt == 2) return response;
    tokens_.Invalidate();  // revoked or expired early: one fresh token, one more try
  }
}

}  // namespace sekoia::auth
