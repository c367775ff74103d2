#pragma once

// The client-credentials grant's request and answer, shared by the secret and certificate
// credentials.
#include <string>

#include "sekoia/clock.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/secret_sink.hpp"

namespace sekoia::auth::detail {

struct IssuedToken {
  std::string access_token;
  TimePoint expires_at;
};

/** POSTs `form` to `token_url`; throws AuthError (400/401, with Microsoft's advice),
 *  HttpStatusError (other status or no access_token), TransportError, StopRequested.
 *  The new token is given to `secrets` before it is returned. */
IssuedToken RequestToken(http::HttpTransport& transport, const std::string& token_url, const std::string& form,
                         Clock& clock, SecretSink* secrets, const StopSignal& stop);

}  // namespace sekoia::auth::detail
