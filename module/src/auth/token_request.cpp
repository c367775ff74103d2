#include "sekoia/auth/token_request.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sekoia/errors.hpp"
#include "sekoia/http/sanitizing_transport.hpp"
#include "token_request_detail.hpp"

namespace sekoia::auth {
namespace {

// What to do about the AADSTS codes a user can fix (Microsoft identity platform error codes).
const char* Advice(long code) {
  switch (code) {
    case 7000215:
      return "check client_secret: give the secret's Value, not its Secret ID";
    case 7000222:
      return "the client secret has expired: create a new one and update client_secret";
    case 700016:
      return "check client_id and tenant_id: the application is not registered in this tenant";
    case 90002:
    case 900023:
      return "check tenant_id: give the Directory (tenant) ID from the Azure portal";
    case 7000218:
      return "client_secret is missing";
    case 700027:
      return "the client assertion was refused: check the certificate uploaded for the application "
             "(Certificates & secrets) is client_certificate, and has not expired";
    case 700024:
      return "the client assertion is outside its valid time range: check this machine's clock";
    case 700021:
      return "check client_id: the client assertion names another application";
    case 50027:
      return "the client assertion is malformed: check client_certificate and client_private_key";
    case 70011:
      return "the requested scope is invalid for this application";
    case 53003:
      return "a Conditional Access policy blocks this application";
    default:
      return nullptr;
  }
}

}  // namespace

namespace {

// The value after `label` in Entra's error_description ("...\r\nTrace ID: x\r\n..."), or "".
std::string DescriptionField(const std::string& description, const std::string& label) {
  const std::size_t at = description.find(label);
  if (at == std::string::npos) return "";
  const std::size_t start = at + label.size();
  return description.substr(
      start, std::min<std::size_t>(description.find_first_of("\r\n", start) - start, 80));
}

std::string StringMember(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>().substr(0, 80)
                                               : std::string();
}

}  // namespace

std::string NewRequestId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("no random bytes for a request id");
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // a version-4 UUID
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

// ": AADSTS<code>: <description> -> <fix> (Trace ID: .., Correlation ID: .., Timestamp: ..)", or
// "" when the body is not Entra's error JSON.
static std::string TokenErrorDetails(const std::string& body) {
  std::string message;
  nlohmann::json error = nlohmann::json::parse(body, nullptr, false);
  if (!error.is_object()) return message;
  const std::string full = StringMember(error, "error_description").empty()
                               ? StringMember(error, "error")
                               : error["error_description"].get<std::string>();
  std::string description = full.substr(0, full.find_first_of("\r\n"));
  long code = 0;
  auto codes = error.find("error_codes");
  if (codes != error.end() && codes->is_array() && !codes->empty() &&
      (*codes)[0].is_number_integer()) {
    code = (*codes)[0].get<long>();
  }
  // Microsoft support asks for the AADSTS code, the trace and correlation ids and the time.
  if (code != 0 && description.rfind("AADSTS", 0) != 0)
    description = "AADSTS" + std::to_string(code) + ": " + description;
  if (!description.empty()) message += ": " + description.substr(0, 500);
  if (const char* advice = Advice(code)) message += " -> " + std::string(advice);
  std::string trace = DescriptionField(full, "Trace ID: ");
  if (trace.empty()) trace = StringMember(error, "trace_id");
  std::string correlation = DescriptionField(full, "Correlation ID: ");
  if (correlation.empty()) correlation = StringMember(error, "correlation_id");
  std::string timestamp = DescriptionField(full, "Timestamp: ");
  if (timestamp.empty()) timestamp = StringMember(error, "timestamp");
  std::string ids;
  if (!trace.empty()) ids += "Trace ID: " + trace;
  if (!correlation.empty())
    ids += std::string(ids.empty() ? "" : ", ") + "Correlation ID: " + correlation;
  if (!timestamp.empty()) ids += std::string(ids.empty() ? "" : ", ") + "Timestamp: " + timestamp;
  if (!ids.empty()) message += " (" + ids + ")";
  return message;
}

std::string DescribeTokenError(int status, const std::string& body) {
  return "token request refused (HTTP " + std::to_string(status) + ")" + TokenErrorDetails(body);
}

namespace detail {

std::chrono::seconds ClampedExpiresIn(const nlohmann::json& answer) {
  // Checked as a double before any conversion: a huge or non-finite number converted to an
  // integer, or added to a time point, is undefined behaviour.
  double seconds = 3599;
  if (auto it = answer.find("expires_in"); it != answer.end()) {
    if (it->is_number())
      seconds = it->get<double>();
    else if (it->is_string())
      seconds = std::strtod(it->get<std::string>().c_str(), nullptr);
  }
  if (!(seconds >= kShortestTokenLife.count())) return kShortestTokenLife;  // NaN too
  if (seconds > kLongestTokenLife.count()) return kLongestTokenLife;
  return std::chrono::seconds(static_cast<long long>(seconds));
}

std::string CheckedAccessToken(const nlohmann::json& answer) {
  std::string token = answer["access_token"].get<std::string>();
  // A CR or LF would end the Authorization header and let the token service inject others.
  if (!http::IsToken68(token)) {
    Wipe(token);
    throw HttpStatusError(
        200,
        "the token endpoint's answer holds an invalid access_token (not an RFC 6750 "
        "b64token: a control character, a space or a quote)");
  }
  return token;
}

AccessToken RequestToken(http::HttpTransport& transport, const std::string& token_url,
                         const std::string& form, Clock& clock, SecretSink* secrets,
                         const StopSignal& stop) {
  http::HttpRequest request;
  request.method = "POST";
  request.url = token_url;
  // Entra echoes client-request-id in its answer and logs; support asks for it with the trace id.
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"client-request-id", NewRequestId()}};
  request.body = form;
  TimePoint asked_at = clock.Now();
  http::HttpResponse response = transport.Send(request, stop);
  if (response.status == 400 || response.status == 401)
    throw AuthError(DescribeTokenError(response.status, response.body));
  if (response.status != 200) {
    // Entra's error JSON may come with any 4xx or 5xx [CC]: its code and ids are worth the line.
    throw HttpStatusError(response.status, "the token endpoint answered HTTP " +
                                               std::to_string(response.status) +
                                               TokenErrorDetails(response.body));
  }
  nlohmann::json answer = nlohmann::json::parse(response.body, nullptr, false);
  if (!answer.is_object() || !answer.contains("access_token") ||
      !answer["access_token"].is_string()) {
    throw HttpStatusError(response.status, "the token endpoint's answer holds no access_token");
  }
  AccessToken issued{CheckedAccessToken(answer), asked_at + ClampedExpiresIn(answer)};
  // Registered before anyone holds it, so no log line can show it; masked until it expires,
  // after which the tokens it replaced leave the set.
  if (secrets) {
    secrets->AddUntil(issued.token, issued.expires_at);
    secrets->Expire(asked_at);
  }
  return issued;
}

}  // namespace detail

}  // namespace sekoia::auth
