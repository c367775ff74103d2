#pragma once

// What the credentials' token requests share with their callers.
#include <string>

namespace sekoia::auth {

/** A random version-4 UUID (client assertion jti, client-request-id headers). Throws
 *  std::runtime_error when the system has no random bytes. */
std::string NewRequestId();

/** Explains a Microsoft identity platform error answer: its AADSTS code, the fix to apply when a
 *  user can, and the trace id, correlation id and timestamp Microsoft support asks for. */
std::string DescribeTokenError(int status, const std::string& body);

}  // namespace sekoia::auth
