#include "sekoia/auth/allowed_origin.hpp"

#include "sekoia/url.hpp"

namespace sekoia::auth {

AllowedOrigin::AllowedOrigin(std::string_view base_url, std::string credential)
    : credential_(std::move(credential)) {
  auto url = ParseUrl(base_url);
  if (!url)
    throw std::invalid_argument(credential_ +
                                " is bound to a URL that is not an absolute http(s) URL");
  if (!IsSecureOrLoopback(*url)) {
    throw std::invalid_argument(
        credential_ + " would travel in clear to " + Origin(*url) +
        ": give an https URL (plain http is only allowed for a loopback host)");
  }
  origin_ = Origin(*url);
}

void AllowedOrigin::Check(std::string_view url) const {
  auto parsed = ParseUrl(url);
  if (!parsed) {
    throw OriginMismatchError("refusing to send " + credential_ + " to a malformed URL (" +
                              DisplayUrl(url) + "); it goes only to " + origin_);
  }
  const std::string origin = Origin(*parsed);
  if (origin != origin_) {
    // A next link, a stored checkpoint or a redirect named another service: a tampered checkpoint
    // or a hostile answer must not collect the tenant's credential.
    throw OriginMismatchError("refusing to send " + credential_ + " to " + origin +
                              ": it goes only to " + origin_ +
                              ", the configured service; nothing was sent");
  }
}

}  // namespace sekoia::auth
