#pragma once

#include <string>
#include <string_view>

#include "sekoia/auth/allowed_origin.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/secret_sink.hpp"

namespace sekoia::auth {

/** Adds `Authorization: Basic base64(user:password)`, only to the origin of `service_url` (the
 *  configured URL of the service): a request for any other origin throws OriginMismatchError and
 *  sends nothing. The encoded credential is given to `secrets` (optional), so that an answer
 *  echoing the header is masked, and wiped at destruction. */
class BasicAuthTransport final : public http::HttpTransport {
 public:
  /** Throws std::invalid_argument when `service_url` is not https (or http on loopback). */
  BasicAuthTransport(http::HttpTransport& inner, const std::string& user,
                     const std::string& password, std::string_view service_url,
                     SecretSink* secrets = nullptr);
  ~BasicAuthTransport() override;
  BasicAuthTransport(const BasicAuthTransport&) = delete;
  BasicAuthTransport& operator=(const BasicAuthTransport&) = delete;
  http::HttpResponse Send(const http::HttpRequest& request, const StopSignal& stop) override;

 private:
  http::HttpTransport& inner_;
  AllowedOrigin origin_;
  std::string header_;  ///< secret: holds the encoded password
};

/** Standard base64 with padding. */
std::string Base64(std::string_view bytes);

}  // namespace sekoia::auth
