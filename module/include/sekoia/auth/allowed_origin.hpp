#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace sekoia::auth {

/** A request that would carry a credential outside the origin it belongs to; nothing was sent. */
class OriginMismatchError final : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/**
 * The one origin (scheme, host, port: RFC 6454) a credential may be sent to, fixed at
 * construction from the configured URL of the service it belongs to. Whatever produced a
 * request's URL (a next link, a stored checkpoint, a redirect), a credential goes nowhere else.
 * Immutable, thread-safe.
 */
class AllowedOrigin final {
 public:
  /** `base_url`: the configured URL; `credential`: what is protected, for messages ("the bearer
   *  token"). Throws std::invalid_argument when `base_url` is not an absolute http(s) URL, or is
   *  plain http to a host that is not loopback (a credential never travels in clear). */
  AllowedOrigin(std::string_view base_url, std::string credential);
  /** Throws OriginMismatchError, naming both origins (never a path or query), unless `url` has
   *  this origin. */
  void Check(std::string_view url) const;
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  std::string credential_;
};

}  // namespace sekoia::auth
