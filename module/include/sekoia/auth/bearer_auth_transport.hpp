#pragma once

#include "sekoia/auth/token_provider.hpp"
#include "sekoia/http/transport.hpp"

namespace sekoia::auth {

/**
 * Adds `Authorization: Bearer <token>` to each request. On a 401 it drops the token and tries
 * once more with a fresh one. Refuses (TransportError) to send a token to a URL that is neither
 * https nor loopback.
 */
class BearerAuthTransport final : public http::HttpTransport {
 public:
  BearerAuthTransport(http::HttpTransport& inner, TokenProvider& tokens) : inner_(inner), tokens_(tokens) {}
  http::HttpResponse Send(const http::HttpRequest& request, const StopSignal& stop) override;

 private:
  http::HttpTransport& inner_;
  TokenProvider& tokens_;
};

}  // namespace sekoia::auth
