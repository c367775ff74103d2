#pragma once

#include <string>

#include "sekoia/stop_signal.hpp"

namespace sekoia::auth {

/** Supplies a bearer token for a service. Thread-safe. */
class TokenProvider {
 public:
  virtual ~TokenProvider() = default;
  /** A valid token, cached or fetched. Throws AuthError (refused: fix the credentials),
   *  HttpStatusError or TransportError (the token service failed), StopRequested. */
  virtual std::string GetToken(const StopSignal& stop) = 0;
  /** Drops the cached token (after a 401), so the next GetToken fetches a new one. */
  virtual void Invalidate() = 0;
};

}  // namespace sekoia::auth
