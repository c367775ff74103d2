#pragma once

#include <string>

#include "sekoia/clock.hpp"

namespace sekoia {

/** Told of each secret learned at run time (an access token, a client assertion), so that every
 *  output masks it. Implementations are thread-safe. */
class SecretSink {
 public:
  virtual ~SecretSink() = default;
  /** A secret masked for the life of the process. */
  virtual void Add(const std::string& secret) = 0;
  /** A secret that is worthless after `expires_at` (a token, an assertion): masked until then,
   *  and forgotten by the first Expire() past it. By default, masked for the life of the process.
   */
  virtual void AddUntil(const std::string& secret, TimePoint expires_at) {
    (void)expires_at;
    Add(secret);
  }
  /** Forgets (and wipes) the secrets that expired before `now`. */
  virtual void Expire(TimePoint now) { (void)now; }
};

/** Overwrites the whole buffer of `secret` (OPENSSL_cleanse, which the compiler cannot drop),
 *  then empties it: a key, password or token must not outlive its use in memory (a core dump,
 *  a swapped page, memory reused by the allocator). */
void Wipe(std::string& secret) noexcept;

}  // namespace sekoia
