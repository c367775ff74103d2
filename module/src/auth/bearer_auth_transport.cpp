#include "sekoia/auth/bearer_auth_transport.hpp"

#include "sekoia/errors.hpp"
#include "sekoia/http/sanitizing_transport.hpp"
#include "sekoia/secret_sink.hpp"

namespace sekoia::auth {

http::HttpResponse BearerAuthTransport::Send(const http::HttpRequest& request,
                                             const StopSignal& stop) {
  origin_.Check(request.url);
  for (int attempt = 1;; ++attempt) {
    http::HttpRequest authorized = request;
    std::string token = tokens_.GetToken(stop);
    if (!http::IsToken68(token)) {
      Wipe(token);
      tokens_.Invalidate();
      throw AuthError(
          "the access token holds characters an Authorization header cannot carry; refusing to "
          "send it");
    }
    authorized.headers.emplace_back("Authorization", "Bearer " + token);
    Wipe(token);
    http::HttpResponse response = inner_.Send(authorized, stop);
    Wipe(authorized.headers.back().second);
    if (response.status != 401 || attempt == 2) return response;
    tokens_.Invalidate();  // revoked or expired early: one fresh token, one more try
  }
}

}  // namespace sekoia::auth
