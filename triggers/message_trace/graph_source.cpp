#include "graph_source.hpp"

#include "forwarded_keys.hpp"

#include <nlohmann/json.hpp>

#include "sekoia/errors.hpp"
#include "sekoia/json/raw_json.hpp"
#include "sekoia/time_format.hpp"
#include "sekoia/url.hpp"

namespace office365 {
namespace {

constexpr const char* kFirstPartyApp = "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373";

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

std::string DescribeGraphError(int status, const std::string& body) {
  std::string message = "Microsoft Graph answered HTTP " + std::to_string(status) + ": " + GraphErrorMessage(body);
  if (status == 401) {
    message += " -> if the Microsoft application " + std::string(kFirstPartyApp) +
               " is not provisioned as a service principal in the tenant, provision it "
               "(New-MgServicePrincipal -AppId " + kFirstPartyApp +
               "); a new provisioning can take some hours, during which 401 answers are expected";
  } else if (status == 403) {
    message += " -> grant the application the Microsoft Graph application permission "
               "ExchangeMessageTrace.Read.All, with admin consent, and check the application " +
               std::string(kFirstPartyApp) + " is provisioned in the tenant";
  }
  return message;
}

TracePage ParseGraphPage(std::string body) {
  TracePage page;
  page.body = std::move(body);
  bool has_value = false;
  sekoia::json::ForEachMember(page.body, [&](std::string_view key, std::string_view value) {
    if (key == "value") {
      has_value = true;
      sekoia::json::ForEachElement(value, [&](std::string_view record) {
        if (record.empty() || record.front() != '{') throw sekoia::ParseError("a messageTraces record is not an object");
        std::string_view id, recipient, status, received_raw;
        sekoia::json::ForEachMember(record, [&](std::string_view field, std::string_view field_value) {
          if (field == "receivedDateTime") received_raw = field_value;
          else if (field == "id") id = field_value;
          else if (field == "recipientAddress") recipient = field_value;
          else if (field == "status") status = field_value;
          return true;
        });
        std::optional<sekoia::TimePoint> received;
        if (sekoia::json::IsString(received_raw)) received = sekoia::ParseIso8601(sekoia::json::UnescapeString(received_raw));
        page.records.push_back({record, received, id.empty() ? 0 : RecordKey(id, recipient, status)});
      });
    } else if (key == "@odata.nextLink") {
      if (!sekoia::json::IsString(value)) throw sekoia::ParseError("@odata.nextLink is not a string");
      page.next_url = sekoia::json::UnescapeString(value);
    }
    return true;
  });
  if (!has_value) throw sekoia::ParseError("the answer has no \"value\" array");
  return page;
}

SourceLimits GraphSource::Limits() const {
  // 90 days is Microsoft's limit for the start; keep 10 minutes inside it so a request built
  // now is still valid when it arrives.
  return {std::chrono::hours(24 * 10), std::chrono::hours(24 * 90) - std::chrono::minutes(10)};
}

std::string GraphSource::FirstPageUrl(const Window& window) const {
  // Both bounds are inclusive for the service; the collector keeps [start, end) itself.
  std::string filter = "receivedDateTime ge " + sekoia::FormatIso8601(window.start) +
                       " and receivedDateTime le " + sekoia::FormatIso8601(window.end);
  return options_.graph_url + "/" + options_.api_version + "/admin/exchange/tracing/messageTraces?$filter=" +
         sekoia::PercentEncode(filter) + "&$top=" + std::to_string(options_.page_size);
}

TracePage GraphSource::FetchPage(const std::string& url, std::size_t, const sekoia::StopSignal& stop) {
  sekoia::http::HttpRequest request{"GET", url, "", {{"Accept", "application/json"}}};
  sekoia::http::HttpResponse response = transport_.Send(request, stop);
  if (response.status != 200) throw sekoia::HttpStatusError(response.status, DescribeGraphError(response.status, response.body));
  try {
    return ParseGraphPage(std::move(response.body));
  } catch (const sekoia::ParseError& error) {
    throw sekoia::ParseError(std::string("Microsoft Graph sent an invalid page: ") + error.what());
  }
}

}  // namespace office365
