// Microsoft Graph: GET /{v1.0|beta}/admin/exchange/tracing/messageTraces
#include <algorithm>
#include <vector>

#include "http_text.hpp"
#include "json_text.hpp"
#include "simulator.hpp"
#include "time_text.hpp"

namespace mtsim {
namespace {

constexpr Micros kMaxInterval = 10 * kMicrosPerDay;
constexpr Micros kMaxAge = 90 * kMicrosPerDay;
constexpr Micros kDefaultSpan = 2 * kMicrosPerDay;
constexpr Micros kClockTolerance = 60 * kMicrosPerSecond;
constexpr long long kDefaultTop = 1000;
constexpr long long kMaxTop = 5000;
constexpr const char* kFilterSyntax =
    "Expected $filter=receivedDateTime ge <ISO 8601 UTC> and receivedDateTime le <ISO 8601 UTC>.";

struct GraphWindow {
  Micros start = 0;
  Micros end = 0;
};

std::vector<std::string> SplitWords(const std::string& text) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (true) {
    pos = text.find_first_not_of(' ', pos);
    if (pos == std::string::npos) break;
    const size_t end = std::min(text.find(' ', pos), text.size());
    words.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

// `receivedDateTime ge A and receivedDateTime le B`, clauses in any order: both bounds, and
// receivedDateTime takes only ge and le [LIST], [RES].
std::optional<GraphWindow> ParseGraphFilter(const std::string& filter) {
  const std::vector<std::string> words = SplitWords(filter);
  if (words.size() != 7) return std::nullopt;
  if (!IEquals(words[3], "and")) return std::nullopt;
  std::optional<Micros> start, end;
  for (size_t i = 0; i < words.size(); i += 4) {
    if (!IEquals(words[i], "receivedDateTime")) return std::nullopt;
    const std::optional<Micros> value = ParseIsoTime(words[i + 2]);
    if (!value) return std::nullopt;
    const std::string op = ToLower(words[i + 1]);
    if (op == "ge" && !start) {
      start = *value;
    } else if (op == "le" && !end) {
      end = *value;
    } else {
      return std::nullopt;
    }
  }
  if (!start || !end) return std::nullopt;
  return GraphWindow{*start, *end};
}

std::optional<long long> ParseCount(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  long long value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

Reply BadRequest(const std::string& message) { return GraphError(400, "BadRequest", message); }

constexpr std::string_view kRecordStart = R"({"id":)";
constexpr std::string_view kBetaRecordStart =
    R"({"@odata.type":"#microsoft.graph.exchangeMessageTrace","id":)";
constexpr std::string_view kRecalled = R"("status":"recalled")";
constexpr std::string_view kUnknownFutureValue = R"("status":"unknownFutureValue")";

std::string Replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t at = 0;
  for (std::size_t hit; (hit = text.find(from, at)) != std::string_view::npos;
       at = hit + from.size()) {
    out.append(text.substr(at, hit - at));
    out.append(to);
  }
  out.append(text.substr(at));
  return out;
}

// The records as this request gets them: beta's carry @odata.type, v1.0's do not [LIST],
// [LISTb]; `recalled` is sent only to a client asking for the evolvable enum's later members,
// others get unknownFutureValue [RES]. Quotes inside values are escaped, so the patterns match
// record starts and status members only.
std::string_view Present(std::string_view rows, bool beta, bool prefer, std::string& buffer) {
  if (!beta && prefer) return rows;
  buffer = beta ? Replaced(rows, kRecordStart, kBetaRecordStart) : std::string(rows);
  if (!prefer) buffer = Replaced(buffer, kRecalled, kUnknownFutureValue);
  return buffer;
}

}  // namespace

Reply Simulator::HandleGraph(const Request& request) {
  Count(Counter::kGraphRequests);
  if (auto throttled = Throttle()) return *throttled;
  const bool slow = faults_.DrawSlow();
  Reply reply = [&]() -> Reply {
    const std::string token = BearerToken(request);
    const TokenCheck check = tokens_.Check(token, TokenScope::kGraph);
    if (token.empty() || check != TokenCheck::kValid) {
      CountEarlyExpiry(check);
      return BadTokenReply(check, token.empty());
    }
    if (options_.unprovisioned) {
      return GraphError(
          401, "Unauthorized",
          "The service principal of the first-party application "
          "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 (Exchange Online message trace) is not "
          "provisioned in tenant '" +
              options_.tenant_id +
              "'. Provision it with New-MgServicePrincipal -AppId "
              "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373; provisioning can take several hours.");
    }
    if (options_.no_permission) {
      return GraphError(403, "Forbidden",
                        "Missing role permissions on the request. API requires one of "
                        "'ExchangeMessageTrace.Read.All'. Roles on the request ''.");
    }

    const bool prefer =
        request.Header("prefer").find("include-unknown-enum-members") != std::string::npos;
    if (!prefer) Count(Counter::kGraphWithoutPrefer);
    if (request.Header("client-request-id").empty()) Count(Counter::kGraphWithoutClientRequestId);
    const QueryParams query(request.raw_query);
    const Micros now = NowMicros();
    GraphWindow window{now - kDefaultSpan, now};
    const QueryParam* filter = query.Find("$filter");
    if (filter != nullptr) {
      const auto parsed = ParseGraphFilter(filter->value);
      if (!parsed)
        return BadRequest("Invalid filter clause '" + filter->value + "'. " + kFilterSyntax);
      window = *parsed;
    }
    if (window.start > window.end) {
      return BadRequest("The start of the receivedDateTime range must not be after its end.");
    }
    if (window.end - window.start > kMaxInterval) {
      return BadRequest("The receivedDateTime range must not exceed 10 days.");
    }
    if (window.start < now - kMaxAge) {
      return BadRequest(
          "The start of the receivedDateTime range must not be more than 90 days "
          "in the past.");
    }
    if (window.end > now + kClockTolerance) {
      return BadRequest("The end of the receivedDateTime range must not be in the future.");
    }
    long long top = kDefaultTop;
    if (const QueryParam* top_param = query.Find("$top")) {
      const auto parsed = ParseCount(top_param->value);
      if (!parsed || *parsed < 1 || *parsed > kMaxTop) {
        return BadRequest("Invalid $top '" + top_param->value + "': it must be between 1 and " +
                          std::to_string(kMaxTop) + ".");
      }
      top = *parsed;
    }
    std::size_t offset = 0;
    // Timed tenants: what the query sees is pinned to the time of its first page, so pages
    // 2..n show the same records while others appear (a consistent snapshot).
    Micros snapshot = now;
    const QueryParam* skip_token = query.Find("$skiptoken");
    if (skip_token != nullptr) {
      // `<process epoch>.<offset>[.<snapshot>]`: a link from another simulator process is refused.
      const std::string& value = skip_token->value;
      const size_t dot = value.find('.');
      const size_t second_dot = dot == std::string::npos ? dot : value.find('.', dot + 1);
      const auto parsed = dot == std::string::npos
                              ? std::nullopt
                              : ParseCount(value.substr(dot + 1, second_dot - dot - 1));
      if (!parsed || value.substr(0, dot) != process_epoch_)
        return BadRequest("Invalid skip token");
      offset = static_cast<std::size_t>(*parsed);
      if (second_dot != std::string::npos) {
        const std::string pinned = value.substr(second_dot + 1);
        if (pinned.size() > 18 || pinned.find_first_not_of("0123456789") != std::string::npos ||
            pinned.empty()) {
          return BadRequest("Invalid skip token");
        }
        snapshot = std::min<Micros>(std::stoll(pinned), now);  // never a peek at the future
      }
    }

    const TraceFault fault = faults_.DrawTraceFault(skip_token != nullptr);
    if (fault == TraceFault::k401) {
      tokens_.Revoke(token);
      return BadTokenReply(TokenCheck::kRevoked, false);
    }
    if (auto fault_reply = TraceFaultReply(fault)) return *fault_reply;

    const RowRange matching =
        tenant_.api() == TraceApi::kGraph ? tenant_.Find(window.start, window.end) : RowRange{};
    RowRange page;
    std::vector<std::uint32_t> states;
    std::string joined;
    std::string_view rows;
    bool more = false;
    std::size_t page_size = 0;
    if (tenant_.timed()) {
      states =
          tenant_.VisibleStates(matching, snapshot, offset, static_cast<std::size_t>(top), more);
      for (const std::uint32_t state : states) {
        if (!joined.empty()) joined += ',';
        joined += tenant_.GraphState(state);
      }
      rows = joined;
      page_size = states.size();
    } else {
      page.first = std::min(matching.first + offset, matching.last);
      page.last = std::min(page.first + static_cast<std::size_t>(top), matching.last);
      rows = tenant_.GraphRows(page);
      more = page.last < matching.last;
      page_size = page.size();
    }
    const std::string version = IStartsWith(request.path, "/beta/") ? "beta" : "v1.0";
    std::string presented;
    rows = Present(rows, version == "beta", prefer, presented);

    Reply ok;
    ok.content_type =
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
        "charset=utf-8";
    ok.headers.emplace_back("request-id", NewGuid());
    ok.body.reserve(rows.size() + 512);
    ok.body += R"({"@odata.context":"https://graph.microsoft.com/)";
    ok.body += version;
    ok.body += R"(/$metadata#admin/exchange/tracing/messageTraces","value":[)";
    ok.body += rows;
    ok.body += ']';
    if (more) {
      // Same path, same filter (made explicit when absent, so later pages keep the window),
      // same $top, and where to resume.
      const std::string filter_text =
          filter != nullptr ? filter->raw_value
                            : "receivedDateTime+ge+" + FormatIsoMillis(window.start) +
                                  "+and+receivedDateTime+le+" + FormatIsoMillis(window.end);
      // A looping service (fault "loop"): from the third page on, the link of the second page.
      const bool loop = offset >= 2 * static_cast<std::size_t>(top) && faults_.DrawLoop();
      const std::size_t next_offset = loop ? static_cast<std::size_t>(top) : offset + page_size;
      const std::string link = NextLinkBase() + request.raw_path + "?$filter=" + filter_text +
                               "&$top=" + std::to_string(top) + "&$skiptoken=" + process_epoch_ +
                               "." + std::to_string(next_offset) +
                               (tenant_.timed() ? "." + std::to_string(snapshot) : "");
      ok.body += R"(,"@odata.nextLink":)";
      ok.body += JsonQuote(link);
    }
    ok.body += '}';

    if (fault == TraceFault::kClose) {
      ok.cut_connection = true;
    } else if (fault == TraceFault::kBadJson) {
      ok.body.resize(ok.body.size() / 2);
    } else if (tenant_.timed()) {
      tenant_.MarkStatesServed(states);
      Count(Counter::kGraphRecordsServed, page_size);
    } else {
      tenant_.MarkServed(page);
      Count(Counter::kGraphRecordsServed, page_size);
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
