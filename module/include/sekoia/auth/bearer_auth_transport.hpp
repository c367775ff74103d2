#pragma once

#include <string_view>

#include "sekoia/auth/allowed_origin.hpp"
#include "sekoia/auth/token_provider.hpp"
#include "sekoia/http/transport.hpp"

namespace sekoia::auth {

/**
 * Adds `Authorization: Bearer <token>` to each request. On a 401 it drops the token and tries
 * once more with a fresh one. The token goes only to the origin of `service_url` (the configured
 * URL of the service the token is for): a request for any other origin throws
 * OriginMismatchError before a token is asked for or anything is sent. A token that is not an
 * RFC 6750 b64token (a CR or LF would inject headers) is dropped and refused (AuthError).
 */
class BearerAuthTransport final : public http::HttpTransport {
 public:
  /** Throws std::invalid_argument when `service_url` is not https (or http on loopback). */
  BearerAuthTransport(http::HttpTransport& inner, TokenProvider& tokens,
                      std::string_view service_url)
      : inner_(inner), tokens_(tokens), origin_(service_url, "the bearer token") {}
  http::HttpResponse Send(const http::HttpRequest& request, const StopSignal& stop) override;

 private:
  http::HttpTransport& inner_;
  TokenProvider& tokens_;
  AllowedOrigin origin_;
};

}  // namespace sekoia::auth
