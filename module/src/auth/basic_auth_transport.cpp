#include "sekoia/auth/basic_auth_transport.hpp"

#include <openssl/evp.h>

#include "sekoia/errors.hpp"

namespace sekoia::auth {

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

BasicAuthTransport::BasicAuthTransport(http::HttpTransport& inner, const std::string& user,
                                       const std::string& password, std::string_view service_url,
                                       SecretSink* secrets)
    : inner_(inner), origin_(service_url, "the account password") {
  std::string pair = user + ":" + password;
  std::string encoded = Base64(pair);
  Wipe(pair);
  if (secrets) secrets->Add(encoded);
  header_ = "Basic " + encoded;
  Wipe(encoded);
}

BasicAuthTransport::~BasicAuthTransport() { Wipe(header_); }

http::HttpResponse BasicAuthTransport::Send(const http::HttpRequest& request,
                                            const StopSignal& stop) {
  origin_.Check(request.url);
  http::HttpRequest authorized = request;
  authorized.headers.emplace_back("Authorization", header_);
  http::HttpResponse response = inner_.Send(authorized, stop);
  Wipe(authorized.headers.back().second);
  return response;
}

}  // namespace sekoia::auth
