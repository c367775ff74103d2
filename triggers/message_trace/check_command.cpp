#include "check_command.hpp"

#include <nlohmann/json.hpp>

#include "sekoia/errors.hpp"
#include "sekoia/intake/intake_batcher.hpp"
#include "sekoia/url.hpp"

namespace message_trace {
namespace {

std::string Host(const std::string& url) {
  const auto parsed = sekoia::ParseUrl(url);
  return parsed ? parsed->host : sekoia::DisplayUrl(url);
}

// The intake's own explanation ({"message": ...}), short; empty when it gave none.
std::string IntakeMessage(const std::string& body) {
  const nlohmann::json value = nlohmann::json::parse(body, nullptr, false);
  if (!value.is_object()) return "";
  const auto message = value.find("message");
  if (message == value.end() || !message->is_string()) return "";
  std::string text = message->get<std::string>();
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return ": " + text;
}

}  // namespace

void CheckReport::Line(const std::string& line) {
  out_ << redactor_.Apply(line) << "\n" << std::flush;
}

bool CheckReport::Step(const std::string& name, const std::function<std::string()>& step) {
  if (failed_) {
    Line("skip " + name);
    return false;
  }
  try {
    const std::string detail = step();
    Line("ok   " + name + (detail.empty() ? "" : " (" + detail + ")"));
    return true;
  } catch (const std::exception& error) {
    failed_ = true;
    Line("FAIL " + name + ": " + error.what());
    return false;
  }
}

void CheckReport::Warning(const std::string& name, const std::string& text) {
  Line("warn " + name + ": " + text);
}

void CheckReport::Skip(std::initializer_list<const char*> names) {
  for (const char* name : names) Line(std::string("skip ") + name);
}

sekoia::http::RetryOptions CheckRetryOptions() {
  sekoia::http::RetryOptions options;
  options.backoff.max_attempts = 2;
  options.backoff.initial = std::chrono::milliseconds(1000);
  options.backoff.max = std::chrono::milliseconds(2000);
  options.max_retry_after = std::chrono::milliseconds(10000);
  options.max_throttled_retries = 1;
  return options;
}

std::string CheckToken(sekoia::auth::TokenProvider& credential, const std::string& token_url,
                       const sekoia::StopSignal& stop) {
  try {
    credential.GetToken(stop);
  } catch (const sekoia::TransportError& error) {
    throw sekoia::TransportError("login_url (" + sekoia::DisplayUrl(token_url) +
                                 "): " + error.what() +
                                 "; check login_url, the network and HTTPS_PROXY/NO_PROXY");
  }
  return Host(token_url);
}

std::string CheckQuery(TraceSource& source, const std::string& argument,
                       const std::string& service_url, sekoia::TimePoint now,
                       const sekoia::StopSignal& stop) {
  // Whole seconds, and no later than now: Graph refuses a window that ends in the future.
  const sekoia::TimePoint end(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()));
  const Window window{end - std::chrono::hours(1), end};
  TracePage page;
  try {
    page = source.FetchPage(source.FirstPageUrl(window), 0, stop);
  } catch (const sekoia::TransportError& error) {
    throw sekoia::TransportError(argument + " (" + sekoia::DisplayUrl(service_url) +
                                 "): " + error.what() + "; check " + argument +
                                 ", the network and HTTPS_PROXY/NO_PROXY");
  }
  return Host(service_url) + ": " +
         (page.records.empty()
              ? "no record in the last hour; Microsoft publishes records minutes after the mail"
              : "records in the last hour");
}

std::string EmptyBatchBody(const std::string& intake_key) {
  const std::string_view* none = nullptr;
  return sekoia::intake::BuildBatchBody(intake_key, none, none);
}

std::string CheckIntake(sekoia::http::HttpTransport& transport, const std::string& intake_server,
                        const std::string& intake_key, const sekoia::StopSignal& stop) {
  sekoia::http::HttpRequest request;
  request.method = "POST";
  request.url = intake_server + "/batch";
  // As the trigger's batches (IntakeBatcher), so a proxy or the intake sees the same request.
  request.headers = {{"Content-Type", "application/json"},
                     {"User-Agent", "sekoiaio-connector-" + intake_key}};
  request.body = EmptyBatchBody(intake_key);
  sekoia::http::HttpResponse response;
  try {
    response = transport.Send(request, stop);
  } catch (const sekoia::TransportError& error) {
    throw sekoia::TransportError("intake_server (" + sekoia::DisplayUrl(intake_server) +
                                 "): " + error.what() +
                                 "; check intake_server, the network and HTTPS_PROXY/NO_PROXY");
  }
  const std::string host = Host(intake_server);
  const std::string status =
      "HTTP " + std::to_string(response.status) + IntakeMessage(response.body);
  if (response.status == 401 || response.status == 403) {
    throw sekoia::HttpStatusError(
        response.status,
        "the intake at " + host + " refused intake_key (" + status +
            "); copy the intake key from the intake's page in Sekoia.io into intake_key");
  }
  if (response.status == 404) {
    throw sekoia::HttpStatusError(
        response.status, "the intake at " + host + " has no " + sekoia::DisplayUrl(request.url) +
                             " (" + status +
                             "); intake_server must be the intake's base URL, such as "
                             "https://intake.sekoia.io");
  }
  if (response.status < 200 || response.status >= 300) {
    throw sekoia::HttpStatusError(response.status, "the intake at " + host + " answered " + status +
                                                       "; check intake_server, or try again later");
  }
  // As the SDK: a 2xx that is not JSON is not an intake's answer.
  if (nlohmann::json::parse(response.body, nullptr, false).is_discarded()) {
    throw sekoia::HttpStatusError(
        response.status, "the answer of " + host + " (" + status +
                             ") is not JSON: it is not a Sekoia.io intake; check intake_server");
  }
  return host + " accepts intake_key; no event was sent";
}

}  // namespace message_trace
