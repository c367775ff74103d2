#pragma once

#include <string>

#include "sekoia/http/transport.hpp"
#include "trace_source.hpp"

namespace message_trace {

struct GraphSourceOptions final {
  std::string graph_url = "https://graph.microsoft.com";  ///< no trailing '/'
  std::string api_version = "v1.0";                       ///< "v1.0" or "beta"
  int page_size = 5000;                                   ///< $top, 1..5000
};

/** Parses a messageTraces answer page; throws ParseError when it is not one. */
TracePage ParseGraphPage(std::string body);

/** Explains a Graph error answer, with the fix when a user can apply one, and the `request-id`
 *  (from `headers`, else the body's innerError) and `client-request-id` support asks for. */
std::string DescribeGraphError(int status, const std::string& body,
                               const sekoia::http::Headers& headers = {},
                               const std::string& client_request_id = "");

/**
 * Microsoft Graph `admin/exchange/tracing/messageTraces`: windows of at most 10 days, no older
 * than 90 days, paged with `@odata.nextLink` (followed only on graph_url's origin). Each request
 * sends `Prefer: include-unknown-enum-members` and its own `client-request-id`. `transport` adds
 * authentication, pacing and retries.
 */
class GraphSource final : public TraceSource {
 public:
  GraphSource(const GraphSourceOptions& options, sekoia::http::HttpTransport& transport)
      : options_(options), transport_(transport) {}
  /** The API's limits, known before any source exists (the configuration loader checks against
   * them). */
  static SourceLimits ServiceLimits();
  SourceLimits Limits() const override { return ServiceLimits(); }
  std::string FirstPageUrl(const Window& window) const override;
  TracePage FetchPage(const std::string& url, std::size_t rows_read,
                      const sekoia::StopSignal& stop) override;

 private:
  GraphSourceOptions options_;
  sekoia::http::HttpTransport& transport_;
};

}  // namespace message_trace
