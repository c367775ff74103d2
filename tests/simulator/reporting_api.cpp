// Legacy Reporting Web Service:
// GET /ecp/reportingwebservice/reporting.svc/MessageTrace?$format=json&$filter=...
#include <algorithm>
#include <vector>

#include "http_text.hpp"
#include "json_text.hpp"
#include "simulator.hpp"
#include "time_text.hpp"

namespace mtsim {
namespace {

constexpr Micros kRetention = 30 * kMicrosPerDay;
constexpr Micros kDefaultSpan = 2 * kMicrosPerDay;
constexpr const char* kFilterSyntax =
    "Expected $filter=StartDate eq datetime'<ISO 8601>' and EndDate eq datetime'<ISO 8601>'.";

struct ReportingWindow {
  Micros start = 0;
  Micros end = 0;
};

// Words separated by spaces, except inside single quotes.
std::vector<std::string> SplitOutsideQuotes(const std::string& text) {
  std::vector<std::string> words;
  std::string current;
  bool quoted = false;
  for (const char c : text) {
    if (c == '\'') quoted = !quoted;
    if (c == ' ' && !quoted) {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

// `StartDate eq datetime'A' and EndDate eq datetime'B'`, clauses in either order.
std::optional<ReportingWindow> ParseReportingFilter(const std::string& filter) {
  const std::vector<std::string> words = SplitOutsideQuotes(filter);
  if (words.size() != 7 || !IEquals(words[3], "and")) return std::nullopt;
  std::optional<Micros> start, end;
  for (size_t i = 0; i < words.size(); i += 4) {
    const std::string& literal = words[i + 2];
    if (!IEquals(words[i + 1], "eq") || !IStartsWith(literal, "datetime'") || literal.size() < 10 ||
        literal.back() != '\'') {
      return std::nullopt;
    }
    const std::optional<Micros> value = ParseIsoTime(literal.substr(9, literal.size() - 10));
    if (!value) return std::nullopt;
    if (IEquals(words[i], "StartDate") && !start) {
      start = value;
    } else if (IEquals(words[i], "EndDate") && !end) {
      end = value;
    } else {
      return std::nullopt;
    }
  }
  return ReportingWindow{*start, *end};
}

// The Reporting Web Service's OData error shape [RWSE]:
// {"error":{"code":"","message":{"lang":"en-US","value":".."}}}.
Reply ReportingError(int status, const std::string& message) {
  Reply reply;
  reply.status = status;
  reply.body =
      Dump({{"error", {{"code", ""}, {"message", {{"lang", "en-US"}, {"value", message}}}}}});
  return reply;
}

Reply BadRequest(const std::string& message) { return ReportingError(400, message); }

Reply Unauthorized(const std::string& message) {
  Reply reply = ReportingError(401, message);
  reply.headers.emplace_back("WWW-Authenticate", "Basic Realm=\"\"");
  return reply;
}

}  // namespace

Reply Simulator::HandleReporting(const Request& request) {
  Count(Counter::kReportingRequests);
  if (auto throttled = Throttle()) return *throttled;
  const bool slow = faults_.DrawSlow();
  Reply reply = [&]() -> Reply {
    const std::string& authorization = request.Header("authorization");
    const std::string token = BearerToken(request);
    if (IStartsWith(authorization, "Basic ")) {
      if (options_.basic_retired) {
        return Unauthorized(
            "Basic authentication is no longer supported for the Reporting Web Service in this "
            "tenant. Use OAuth 2.0 (modern authentication) with a token for "
            "https://outlook.office365.com/.default.");
      }
      const auto decoded = Base64Decode(authorization.substr(6));
      const size_t colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos ||
          !IEquals(decoded->substr(0, colon), options_.account_name) ||
          decoded->substr(colon + 1) != options_.account_password) {
        return Unauthorized("The user name or password is incorrect.");
      }
    } else if (!token.empty()) {
      const TokenCheck check = tokens_.Check(token, TokenScope::kOutlook);
      if (check != TokenCheck::kValid) {
        CountEarlyExpiry(check);
        return BadTokenReply(check, false);
      }
    } else {
      return Unauthorized("Authentication required: use Basic or an OAuth 2.0 Bearer token.");
    }

    const QueryParams query(request.raw_query);
    const QueryParam* format = query.Find("$format");
    if (format == nullptr || !IEquals(format->value, "json")) {
      return BadRequest("The simulator serves JSON only: add $format=json.");
    }
    const Micros now = NowMicros();
    ReportingWindow window{now - kDefaultSpan, now};
    const QueryParam* filter = query.Find("$filter");
    if (filter != nullptr) {
      const auto parsed = ParseReportingFilter(filter->value);
      if (!parsed) return BadRequest("Invalid filter '" + filter->value + "'. " + kFilterSyntax);
      window = *parsed;
    }
    if (window.start > window.end) return BadRequest("StartDate must not be after EndDate.");
    std::size_t offset = 0;
    const QueryParam* skip_token = query.Find("$skiptoken");
    if (skip_token != nullptr) {
      const std::string& value = skip_token->value;
      if (value.empty() || value.size() > 12 ||
          value.find_first_not_of("0123456789") != std::string::npos) {
        return BadRequest("Invalid skip token");
      }
      offset = static_cast<std::size_t>(std::stoull(value));
    }
    // $top (OData) asks for a page size; the service's own page is the most it gives.
    std::size_t page_rows = options_.reporting_page;
    const QueryParam* top = query.Find("$top");
    if (top != nullptr) {
      const std::string& value = top->value;
      if (value.empty() || value.size() > 9 ||
          value.find_first_not_of("0123456789") != std::string::npos || std::stoull(value) == 0) {
        return BadRequest("Invalid $top '" + value + "'");
      }
      page_rows = std::min<std::size_t>(page_rows, std::stoull(value));
    }

    const TraceFault fault = faults_.DrawTraceFault(skip_token != nullptr && !token.empty());
    if (fault == TraceFault::k401) {
      tokens_.Revoke(token);
      return BadTokenReply(TokenCheck::kRevoked, false);
    }
    if (auto fault_reply = TraceFaultReply(fault)) return *fault_reply;

    // Rows older than the retention are gone; `Index` counts from the window's first row,
    // expired or not, so a row keeps its bytes for a given window as time passes.
    const bool has_rows = tenant_.api() == TraceApi::kReporting;
    // StartDate and EndDate bound the processing steps, not Received [RWS]: with
    // --reporting-processing, a row's last step is that long after it was received, and the
    // window selects by it, so rows received before StartDate come back.
    const Micros processing =
        static_cast<Micros>(options_.reporting_processing.count()) * kMicrosPerSecond;
    const RowRange window_rows =
        has_rows ? tenant_.Find(window.start - processing, window.end - processing) : RowRange{};
    const RowRange visible =
        has_rows ? tenant_.Find(std::max(window.start - processing, now - kRetention),
                                window.end - processing)
                 : RowRange{};
    // The page's record states, in order; a state's position counts from the window's first row.
    std::vector<std::uint32_t> states;
    bool more = false;
    if (tenant_.timed()) {
      // A client may build `$skiptoken=<offset>` itself, so the snapshot cannot travel in the
      // token: the window's first page pins it, and later pages of the same filter reuse it.
      const Micros snapshot = ReportingSnapshot(filter != nullptr ? filter->value : std::string(),
                                                skip_token == nullptr, now);
      states = tenant_.VisibleStates(visible, snapshot, offset, page_rows, more);
    } else {
      const std::size_t first = std::min(visible.first + offset, visible.last);
      const std::size_t last = std::min(first + page_rows, visible.last);
      for (std::size_t i = first; i < last; ++i) states.push_back(static_cast<std::uint32_t>(i));
      more = last < visible.last;
    }

    const bool verbose = tenant_.reporting_shape() == ReportingShape::kVerbose;
    Reply ok;
    ok.content_type = verbose ? "application/json;odata=verbose;charset=utf-8"
                              : "application/json;odata=minimalmetadata;streaming=true;"
                                "IEEE754Compatible=false;charset=utf-8";
    ok.body.reserve(states.size() * 800 + 512);
    ok.body +=
        verbose
            ? R"({"d":{"results":[)"
            : R"({"odata.metadata":"https://reports.office365.com/ecp/ReportingWebService/Reporting.svc/$metadata#MessageTrace","value":[)";
    std::vector<ServedRow> served;
    served.reserve(states.size());
    // Fault "index_gap": one row of the page left out, as a service losing rows would.
    std::size_t skip_row = states.size();
    if (states.size() >= 2 && faults_.DrawIndexGap()) skip_row = states.size() / 2;
    std::size_t row_number = 0;
    for (const std::uint32_t state : states) {
      if (row_number++ == skip_row) continue;
      if (!served.empty()) ok.body += ',';
      const std::size_t row_start = ok.body.size();
      tenant_.AppendReportingRow(state, window.start, window.end,
                                 tenant_.RowOfState(state) - window_rows.first, ok.body);
      served.push_back({state, EventHash(std::string_view(ok.body).substr(row_start))});
    }
    ok.body += ']';
    if (more && options_.reporting_next_link) {
      const std::string filter_text =
          filter != nullptr
              ? filter->raw_value
              : "StartDate%20eq%20datetime'" + FormatIsoMillis(window.start) +
                    "'%20and%20EndDate%20eq%20datetime'" + FormatIsoMillis(window.end) + "'";
      const std::string link = NextLinkBase() + request.raw_path +
                               "?$format=json&$filter=" + filter_text +
                               (top != nullptr ? "&$top=" + top->value : std::string()) +
                               "&$skiptoken=" + std::to_string(offset + states.size());
      ok.body += verbose ? R"(,"__next":)" : R"(,"odata.nextLink":)";
      ok.body += JsonQuote(link);
    }
    ok.body += verbose ? "}}" : "}";

    if (fault == TraceFault::kClose) {
      ok.cut_connection = true;
    } else if (fault == TraceFault::kBadJson) {
      ok.body.resize(ok.body.size() / 2);
    } else {
      tenant_.MarkServed(served);
    }
    return ok;
  }();
  if (slow) {
    reply.delay =
        std::chrono::milliseconds(static_cast<long long>(options_.faults.slow_seconds * 1000));
  }
  return reply;
}

}  // namespace mtsim
