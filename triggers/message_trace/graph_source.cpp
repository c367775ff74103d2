#include "graph_source.hpp"

#include "record_key.hpp"

#include <strings.h>

#include <nlohmann/json.hpp>

#include "sekoia/auth/token_provider.hpp"
#include "sekoia/auth/token_request.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/json/raw_json.hpp"
#include "sekoia/time_format.hpp"
#include "sekoia/url.hpp"

namespace message_trace {
namespace {

constexpr const char* kFirstPartyApp = "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373";

// The ids Microsoft support asks for: request-id from the answer (header, else the error's
// innerError), and the client-request-id this request sent.
std::string GraphRequestIds(const sekoia::http::Headers& headers, const std::string& body,
                            const std::string& client_request_id) {
  std::string request_id;
  for (const auto& [name, value] : headers) {
    if (request_id.empty() && ::strcasecmp(name.c_str(), "request-id") == 0) request_id = value;
  }
  if (request_id.empty()) {
    nlohmann::json error = nlohmann::json::parse(body, nullptr, false);
    if (error.is_object() && error.contains("error") && error["error"].is_object()) {
      const auto& inner = error["error"];
      auto it = inner.find("innerError");
      if (it != inner.end() && it->is_object()) request_id = it->value("request-id", std::string());
    }
  }
  if (request_id.empty()) request_id = "none";
  return " (request-id " + request_id.substr(0, 64) + ", client-request-id " +
         (client_request_id.empty() ? std::string("none") : client_request_id) + ")";
}

std::string GraphErrorMessage(const std::string& body) {
  nlohmann::json error = nlohmann::json::parse(body, nullptr, false);
  if (error.is_object() && error.contains("error") && error["error"].is_object()) {
    const auto& inner = error["error"];
    std::string code = inner.value("code", std::string());
    std::string message = inner.value("message", std::string());
    return (code.empty() ? "" : code + ": ") + message.substr(0, 500);
  }
  return body.substr(0, 200);
}

}  // namespace

std::string DescribeGraphError(int status, const std::string& body,
                               const sekoia::http::Headers& headers,
                               const std::string& client_request_id) {
  std::string message = "Microsoft Graph answered HTTP " + std::to_string(status) + ": " +
                        GraphErrorMessage(body) + GraphRequestIds(headers, body, client_request_id);
  if (status == 401) {
    message += " -> if the Microsoft application " + std::string(kFirstPartyApp) +
               " is not provisioned as a service principal in the tenant, provision it "
               "(New-MgServicePrincipal -AppId " +
               kFirstPartyApp +
               "); a new provisioning can take some hours, during which 401 answers are expected";
  } else if (status == 403) {
    message +=
        " -> grant the application the Microsoft Graph application permission "
        "ExchangeMessageTrace.Read.All, with admin consent, and check the application " +
        std::string(kFirstPartyApp) + " is provisioned in the tenant";
  }
  return message;
}

TracePage ParseGraphPage(std::string body) {
  namespace rj = sekoia::json;
  TracePage page;
  page.body = std::move(body);
  const std::string_view text = page.body;
  // One pass over the page: each record's fields are read where the page's array is read.
  rj::JsonReader reader(text);
  reader.EnterObject();
  bool has_value = false;
  std::string scratch;
  std::string status_buffer;
  std::string_view key;
  while (reader.NextMember(key)) {
    if (key == "value") {
      if (reader.Peek() != '[') throw sekoia::ParseError("\"value\" is not an array");
      has_value = true;
      reader.EnterArray();
      while (reader.NextElement()) {
        if (reader.Peek() != '{')
          throw sekoia::ParseError("a messageTraces record is not an object");
        const std::size_t start = reader.position();
        std::string_view id, recipient, status, received_raw, field;
        reader.EnterObject();
        while (reader.NextMember(field)) {
          const std::string_view value = reader.SkipValue();
          if (field == "receivedDateTime")
            received_raw = value;
          else if (field == "id")
            id = value;
          else if (field == "recipientAddress")
            recipient = value;
          else if (field == "status")
            status = value;
        }
        std::optional<sekoia::TimePoint> received;
        if (rj::IsString(received_raw))
          received = sekoia::ParseIso8601(rj::StringText(received_raw, scratch));
        const std::uint64_t record_key =
            id.empty() ? 0 : RecordKey(id, recipient, LowerStatus(status, status_buffer));
        page.records.push_back(
            {text.substr(start, reader.position() - start), received, record_key});
      }
    } else if (key == "@odata.nextLink") {
      const std::string_view value = reader.SkipValue();
      if (!rj::IsString(value)) throw sekoia::ParseError("@odata.nextLink is not a string");
      page.next_url = rj::UnescapeString(value);
    } else {
      reader.SkipValue();
    }
  }
  reader.ExpectEnd();
  if (!has_value) throw sekoia::ParseError("the answer has no \"value\" array");
  return page;
}

SourceLimits GraphSource::ServiceLimits() {
  // 90 days is Microsoft's limit for the start; keep 10 minutes inside it so a request built
  // now is still valid when it arrives.
  return {std::chrono::hours(24 * 10), std::chrono::hours(24 * 90) - std::chrono::minutes(10)};
}

std::string GraphSource::FirstPageUrl(const Window& window) const {
  // Both bounds are inclusive for the service; the collector keeps [start, end) itself.
  std::string filter = "receivedDateTime ge " + sekoia::FormatIso8601(window.start) +
                       " and receivedDateTime le " + sekoia::FormatIso8601(window.end);
  return options_.graph_url + "/" + options_.api_version +
         "/admin/exchange/tracing/messageTraces?$filter=" + sekoia::PercentEncode(filter) +
         "&$top=" + std::to_string(options_.page_size);
}

TracePage GraphSource::FetchPage(const std::string& url, std::size_t,
                                 const sekoia::StopSignal& stop) {
  // Checked before anything is sent: a next link (or a stored one) naming another host would get
  // the bearer token.
  RequireSameOrigin(url, options_.graph_url, "graph_url");
  const std::string client_request_id = sekoia::auth::NewRequestId();
  // `recalled` arrives as itself only with this preference; otherwise as unknownFutureValue [RES].
  sekoia::http::HttpRequest request{"GET",
                                    url,
                                    "",
                                    {{"Accept", "application/json"},
                                     {"Prefer", "include-unknown-enum-members"},
                                     {"client-request-id", client_request_id}}};
  sekoia::http::HttpResponse response;
  try {
    response = transport_.Send(request, stop);
  } catch (const sekoia::TransportError& error) {
    // No answer, so no request-id; ours still finds the request in Microsoft's traces.
    throw sekoia::TransportError(std::string(error.what()) +
                                 GraphRequestIds({}, std::string(), client_request_id));
  }
  if (response.status != 200) {
    throw sekoia::HttpStatusError(
        response.status,
        DescribeGraphError(response.status, response.body, response.headers, client_request_id));
  }
  try {
    TracePage page = ParseGraphPage(std::move(response.body));
    RefuseNextLinkOffOrigin(page, options_.graph_url, "graph_url");
    return page;
  } catch (const sekoia::ParseError& error) {
    throw sekoia::ParseError(std::string("Microsoft Graph sent an invalid page: ") + error.what() +
                             GraphRequestIds(response.headers, std::string(), client_request_id));
  }
}

}  // namespace message_trace
