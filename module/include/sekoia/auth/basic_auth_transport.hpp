#pragma once

#include <string>

#include "sekoia/http/transport.hpp"

namespace sekoia::auth {

/** Adds `Authorization: Basic base64(user:password)`; refuses (TransportError) a URL that is
 *  neither https nor loopback, so the password never travels in clear. */
class BasicAuthTransport final : public http::HttpTransport {
 public:
  BasicAuthTransport(http::HttpTransport& inner, const std::string& user, const std::string& password);
  http::HttpResponse Send(const http::HttpRequest& request, const StopSignal& stop) override;

 private:
  http::HttpTransport& inner_;
  std::string header_;  ///< secret: holds the encoded password
};

/** Standard base64 with padding. */
std::string Base64(std::string_view bytes);

}  // namespace sekoia::auth
