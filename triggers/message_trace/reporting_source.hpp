#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sekoia/http/transport.hpp"
#include "trace_source.hpp"

namespace message_trace {

/** How the trigger authenticates to the Reporting Web Service (for its error messages). */
enum class ReportingAuth { kBasic, kOAuth };

struct ReportingSourceOptions final {
  std::string reporting_url =
      "https://reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace";  ///< the
                                                                                           ///< report's
                                                                                           ///< URL
  std::size_t page_rows =
      2000;  ///< the service's page; a full page without a link asks for $skiptoken
  ReportingAuth auth = ReportingAuth::kBasic;
};

/** Parses an answer in the verbose (`d.results`, `d.__next`) or light (`value`, `odata.nextLink`
 *  or `@odata.nextLink`) shape; throws ParseError when it is neither. `indices` (optional) gets
 *  each row's `Index`, -1 when it has none. */
TracePage ParseReportingPage(std::string body, std::vector<std::int64_t>* indices = nullptr);

/** Explains an error answer of the Reporting Web Service, with the fix a user can apply. */
std::string DescribeReportingError(int status, const std::string& body, ReportingAuth auth);

/**
 * The legacy Reporting Web Service MessageTrace report (being retired by Microsoft since
 * 2026-04-06): windows by StartDate/EndDate, rows no older than 30 days, pages of 2000 rows asked
 * with $top, links followed only on reporting_url's origin, rows' Index checked for gaps.
 */
class ReportingSource final : public TraceSource {
 public:
  ReportingSource(const ReportingSourceOptions& options, sekoia::http::HttpTransport& transport)
      : options_(options), transport_(transport) {}
  /** The API's limits, known before any source exists (the configuration loader checks against
   * them). */
  static SourceLimits ServiceLimits();
  SourceLimits Limits() const override { return ServiceLimits(); }
  std::string FirstPageUrl(const Window& window) const override;
  TracePage FetchPage(const std::string& url, std::size_t rows_read,
                      const sekoia::StopSignal& stop) override;

 private:
  ReportingSourceOptions options_;
  sekoia::http::HttpTransport& transport_;
  bool window_has_links_ = false;           ///< a page of the window being read carried a next link
  std::optional<std::int64_t> last_index_;  ///< the window's last row Index read
};

}  // namespace message_trace
