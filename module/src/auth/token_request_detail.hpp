#pragma once

// The client-credentials grant's request and answer, shared by the secret and certificate
// credentials.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "sekoia/auth/token_cache.hpp"
#include "sekoia/clock.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/secret_sink.hpp"

namespace sekoia::auth::detail {

/** The range an answer's expires_in is clamped to: a token refreshed at most once a minute, and
 *  at least once a day (Microsoft's tokens last 60 to 90 minutes). */
constexpr std::chrono::seconds kShortestTokenLife{60};
constexpr std::chrono::seconds kLongestTokenLife{86400};

/** The answer's expires_in (a number, or a number in a string; 3599 when absent), clamped to
 *  [kShortestTokenLife, kLongestTokenLife] before any arithmetic. */
std::chrono::seconds ClampedExpiresIn(const nlohmann::json& answer);

/** The answer's access_token (a string); throws HttpStatusError unless it is an RFC 6750
 *  b64token, which a header can carry. Never quotes the token. */
std::string CheckedAccessToken(const nlohmann::json& answer);

/** POSTs `form` to `token_url`; throws AuthError (400/401, with Microsoft's advice),
 *  HttpStatusError (other status or no access_token), TransportError, StopRequested.
 *  The new token is given to `secrets` before it is returned. */
AccessToken RequestToken(http::HttpTransport& transport, const std::string& token_url,
                         const std::string& form, Clock& clock, SecretSink* secrets,
                         const StopSignal& stop);

}  // namespace sekoia::auth::detail
