#include "reporting_source.hpp"

#include "record_key.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "sekoia/errors.hpp"
#include "sekoia/json/raw_json.hpp"
#include "sekoia/time_format.hpp"
#include "sekoia/url.hpp"

namespace message_trace {
namespace {

namespace rj = sekoia::json;

// Reads the rows of the array at the reader's cursor, in the same pass: each row's date
// ("Received": "/Date(ms)/" in the verbose shape, ISO 8601 without zone in the light one) and
// its key (MessageTraceId, RecipientAddress, Status).
void AddRows(rj::JsonReader& reader, std::string_view text, TracePage& page,
             std::vector<std::int64_t>* indices) {
  if (reader.Peek() != '[') throw sekoia::ParseError("the rows are not an array");
  reader.EnterArray();
  std::string scratch;
  std::string status_buffer;
  while (reader.NextElement()) {
    if (reader.Peek() != '{') throw sekoia::ParseError("a MessageTrace row is not an object");
    const std::size_t start = reader.position();
    std::string_view id, recipient, status, received_raw, index, key;
    reader.EnterObject();
    while (reader.NextMember(key)) {
      const std::string_view value = reader.SkipValue();
      if (key == "Received")
        received_raw = value;
      else if (key == "Index")
        index = value;
      else if (key == "MessageTraceId")
        id = value;
      else if (key == "RecipientAddress")
        recipient = value;
      else if (key == "Status")
        status = value;
    }
    TraceRecord record{
        text.substr(start, reader.position() - start), std::nullopt,
        id.empty() ? 0 : RecordKey(id, recipient, LowerStatus(status, status_buffer))};
    if (rj::IsString(received_raw)) {
      const std::string_view date = rj::StringText(received_raw, scratch);
      record.received = sekoia::ParseMsJsonDate(date);
      if (!record.received) record.received = sekoia::ParseIso8601(date);
    }
    page.records.push_back(record);
    if (indices) {
      std::int64_t number = -1;
      if (!index.empty() && index.size() < 19 &&
          std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        number = std::stoll(std::string(index));
      }
      indices->push_back(number);
    }
  }
}

std::string Link(std::string_view value) {
  if (!rj::IsString(value)) throw sekoia::ParseError("a next link is not a string");
  return rj::UnescapeString(value);
}

// The URL without its $skiptoken parameter (the window's first page).
std::string WithoutSkipToken(const std::string& url) {
  auto pos = url.find("&$skiptoken=");
  if (pos == std::string::npos) pos = url.find("&%24skiptoken=");
  if (pos == std::string::npos) return url;
  auto end = url.find('&', pos + 1);
  return url.substr(0, pos) + (end == std::string::npos ? "" : url.substr(end));
}

std::string ServiceMessage(const std::string& body) {
  nlohmann::json error = nlohmann::json::parse(body, nullptr, false);
  if (error.is_object()) {
    // OData errors: {"error": {"code", "message": {"value"}}} or {"odata.error": ...}.
    for (const char* key : {"error", "odata.error"}) {
      if (!error.contains(key) || !error[key].is_object()) continue;
      const auto& inner = error[key];
      if (inner.contains("message")) {
        const auto& message = inner["message"];
        if (message.is_string()) return message.get<std::string>().substr(0, 300);
        if (message.is_object() && message.contains("value") && message["value"].is_string())
          return message["value"].get<std::string>().substr(0, 300);
      }
    }
  }
  std::string text = body.substr(0, 200);
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace

TracePage ParseReportingPage(std::string body, std::vector<std::int64_t>* indices) {
  TracePage page;
  page.body = std::move(body);
  const std::string_view text = page.body;
  rj::JsonReader reader(text);
  reader.EnterObject();
  bool has_rows = false;
  std::string_view key;
  while (reader.NextMember(key)) {
    if (key == "d") {
      const char first = reader.Peek();
      if (first == '[') {  // OData v2 without the "results" wrapper
        has_rows = true;
        AddRows(reader, text, page, indices);
        continue;
      }
      if (first != '{') throw sekoia::ParseError("\"d\" is neither an object nor an array");
      reader.EnterObject();
      std::string_view inner_key;
      while (reader.NextMember(inner_key)) {
        if (inner_key == "results") {
          has_rows = true;
          AddRows(reader, text, page, indices);
        } else if (inner_key == "__next") {
          page.next_url = Link(reader.SkipValue());
        } else {
          reader.SkipValue();
        }
      }
    } else if (key == "value") {
      has_rows = true;
      AddRows(reader, text, page, indices);
    } else if (key == "odata.nextLink" || key == "@odata.nextLink") {
      page.next_url = Link(reader.SkipValue());
    } else {
      reader.SkipValue();
    }
  }
  reader.ExpectEnd();
  if (!has_rows) throw sekoia::ParseError("the answer has neither \"d.results\" nor \"value\"");
  return page;
}

std::string DescribeReportingError(int status, const std::string& body, ReportingAuth auth) {
  std::string message = "the Reporting Web Service answered HTTP " + std::to_string(status) + ": " +
                        ServiceMessage(body);
  constexpr const char* kOtherTriggers =
      "the OAuth trigger (office365_messagetrace_trigger_oauth) or, better, the Microsoft Graph "
      "trigger "
      "(office365_messagetrace_trigger_graph), as Microsoft is retiring this service since "
      "2026-04-06";
  if (status == 401 && auth == ReportingAuth::kBasic) {
    // What Microsoft documents for a refused Basic login [RWSH], [AUTHP].
    message +=
        " -> check account_name and account_password; if they are right, the tenant has Basic "
        "authentication turned off for this service (Set-AuthenticationPolicy "
        "-AllowBasicAuthReportingWebServices): move to " +
        std::string(kOtherTriggers);
  } else if (status == 401) {
    message +=
        " -> the token was refused: grant the application the Office 365 Exchange Online "
        "application "
        "permission ReportingWebService.Read.All with admin consent, and a reader role such as "
        "Global Reader";
  } else if (status == 403) {
    // 403 = wrong credentials, too few admin privileges, or a report not allowed [RWSE].
    message += std::string(" -> the account or application was refused: check ") +
               (auth == ReportingAuth::kBasic
                    ? "account_password, and that account_name has an admin role "
                      "allowing reports (at least View-Only Recipients)"
                    : "that the application has ReportingWebService.Read.All with admin "
                      "consent and a reader role such as Global Reader") +
               "; if that lasts, the tenant may have lost the service: move to the Microsoft Graph "
               "trigger "
               "(office365_messagetrace_trigger_graph)";
  } else if (status == 404 || status == 410) {
    message +=
        " -> check reporting_url; if it is right, this tenant may have no Reporting Web Service "
        "any more "
        "(Microsoft began retiring it on 2026-04-06; tenants created since have no access): move "
        "to the "
        "Microsoft Graph trigger (office365_messagetrace_trigger_graph)";
  }
  return message;
}

SourceLimits ReportingSource::ServiceLimits() {
  // The service documents no window limit; 6 hours (the lookback included) keeps each query
  // modest while catching up, and paging makes any size complete. Data older than 30 days is gone.
  // StartDate and EndDate bound the first and last processing steps, not Received [RWS]: every
  // row returned is forwarded.
  return {std::chrono::hours(6), std::chrono::hours(24 * 30) - std::chrono::minutes(10), true};
}

std::string ReportingSource::FirstPageUrl(const Window& window) const {
  std::string filter = "StartDate eq datetime'" + sekoia::FormatIso8601(window.start) +
                       "' and EndDate eq datetime'" + sekoia::FormatIso8601(window.end) + "'";
  // $top asks for pages of a known size, so a full page without a link is well defined.
  return options_.reporting_url + "?$format=json&$filter=" + sekoia::PercentEncode(filter) +
         "&$top=" + std::to_string(options_.page_rows);
}

TracePage ReportingSource::FetchPage(const std::string& url, std::size_t rows_read,
                                     const sekoia::StopSignal& stop) {
  // Checked before anything is sent: Basic credentials or the token must reach no other host.
  RequireSameOrigin(url, options_.reporting_url, "reporting_url");
  sekoia::http::HttpRequest request{"GET", url, "", {{"Accept", "application/json"}}};
  sekoia::http::HttpResponse response = transport_.Send(request, stop);
  if (response.status != 200) {
    throw sekoia::HttpStatusError(
        response.status, DescribeReportingError(response.status, response.body, options_.auth));
  }
  TracePage page;
  std::vector<std::int64_t> indices;
  try {
    page = ParseReportingPage(std::move(response.body), &indices);
  } catch (const sekoia::ParseError& error) {
    throw sekoia::ParseError(std::string("the Reporting Web Service sent an invalid page: ") +
                             error.what());
  }
  // Some tenants page without a link: a full page means more rows may follow, asked by offset.
  // A service that gave links in this window ends it by giving none: asking again would only
  // spend a request of Microsoft's budget on an empty page.
  if (rows_read == 0) {
    window_has_links_ = false;
    last_index_.reset();
  }
  // Each row's Index counts the window's rows: a jump means rows the service skipped.
  std::size_t gaps = 0;
  std::int64_t first_gap = -1;
  for (const std::int64_t index : indices) {
    if (index < 0) continue;
    if (last_index_ && index != *last_index_ + 1) {
      if (gaps++ == 0) first_gap = *last_index_;
    }
    last_index_ = index;
  }
  if (gaps > 0) {
    page.warning = "the Reporting Web Service's rows are not contiguous: " + std::to_string(gaps) +
                   " gap(s) in their Index on this page, the first after row " +
                   std::to_string(first_gap) + "; rows may be missing from the window";
  }
  if (page.next_url) {
    window_has_links_ = true;
  } else if (!window_has_links_ && page.records.size() == options_.page_rows) {
    page.next_url =
        WithoutSkipToken(url) + "&$skiptoken=" + std::to_string(rows_read + page.records.size());
  }
  RefuseNextLinkOffOrigin(page, options_.reporting_url, "reporting_url");
  return page;
}

}  // namespace message_trace
