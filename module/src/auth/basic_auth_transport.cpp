#include "sekoia/auth/basic_auth_transport.hpp"

#include <openssl/evp.h>

#include "sekoia/errors.hpp"
#include "sekoia/url.hpp"

namespace sekoia::auth {

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

BasicAuthTransport::BasicAuthTransport(http::HttpTransport& inner, const std::string& user, const std::string& password)
    : inner_(inner), header_("Basic " + Base64(user + ":" + password)) {}

http::HttpResponse BasicAuthTransport::Send(const http::HttpRequest& request, const StopSignal& stop) {
  auto url = ParseUrl(request.url);
  if (!url || !IsSecureOrLoopback(*url)) {
    throw TransportError("refusing to send a password to a URL that is not https: " +
                         (url ? url->scheme + "://" + url->host : std::string("(invalid URL)")));
  }
  http::HttpRequest authorized = request;
  authorized.headers.emplace_back("Authorization", header_);
  return inner_.Send(authorized, stop);
}

}  // namespace sekoia::auth
