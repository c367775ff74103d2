#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sekoia/http/transport.hpp"
#include "sekoia/redaction.hpp"

namespace sekoia::http {

/** True when `value` may travel as a header value (RFC 9110 field-value): no control character
 *  but HTAB, no DEL. A CR or LF would end the header and start another one. */
bool IsSafeHeaderValue(std::string_view value);

/** True when `name` is an RFC 9110 token (the characters a header name may hold). */
bool IsHeaderName(std::string_view name);

/** True for an RFC 6750 b64token (letters, digits, `-._~+/`, then `=` padding): what a bearer
 *  token or a Basic credential may be, so it cannot break the header it goes in. */
bool IsToken68(std::string_view value);

/** Throws TransportError naming the first header whose name or value is unsafe, or the URL when it
 *  does not parse (ParseUrl). Never quotes a header value (it may be a secret). */
void CheckRequest(const HttpRequest& request);

/**
 * The outermost guard over the network, for every service: refuses (TransportError, nothing sent)
 * a request that CheckRequest refuses, and passes every answer that is not a success (status
 * outside 200-299: the ones whose text ends up quoted in a message) through `redactor` before
 * anyone reads it, so a service that echoes a secret back (in any of its forms) is masked before
 * an excerpt can be cut from it. Successful answers are left intact: a token answer carries the
 * token, a page the records. Thread-safe if `inner` is.
 */
class SanitizingTransport final : public HttpTransport {
 public:
  SanitizingTransport(std::unique_ptr<HttpTransport> inner, const Redactor& redactor)
      : inner_(std::move(inner)), redactor_(redactor) {}
  HttpResponse Send(const HttpRequest& request, const StopSignal& stop) override;

 private:
  std::unique_ptr<HttpTransport> inner_;
  const Redactor& redactor_;
};

}  // namespace sekoia::http
