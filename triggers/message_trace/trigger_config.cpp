#include "trigger_config.hpp"

#include <algorithm>

#include "sekoia/auth/client_certificate_credential.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/http/curl_transport.hpp"
#include "sekoia/http/sanitizing_transport.hpp"
#include "sekoia/secret_sink.hpp"
#include "sekoia/url.hpp"

namespace message_trace {
namespace {

// Hosts of the national clouds' Graph, identity platform and Exchange Online (reports):
// US Government (L4, L5/DoD) and China (21Vianet), with their other published names.
constexpr const char* kNationalCloudSuffixes[] = {
    "microsoft.us",        // graph.microsoft.us, dod-graph.microsoft.us
    "microsoftonline.us",  // login.microsoftonline.us
    "usgovcloudapi.net",   // login.usgovcloudapi.net
    "chinacloudapi.cn",    // microsoftgraph.chinacloudapi.cn, login.chinacloudapi.cn
    "microsoftonline.cn",  // login.partner.microsoftonline.cn
    "partner.outlook.cn",  // reports.partner.outlook.cn (Exchange Online by 21Vianet)
    "office365.us",        // reports.office365.us, outlook.office365.us, outlook-dod.office365.us
    "apps.mil",            // webmail.apps.mil (Exchange Online DoD)
    "microsoft.de",        // Microsoft Cloud Deutschland (closed)
    "microsoftonline.de",
};

bool HasSuffix(const std::string& host, const std::string& suffix) {
  return host == suffix || (host.size() > suffix.size() &&
                            host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                            host[host.size() - suffix.size() - 1] == '.');
}

}  // namespace

void RefuseNationalCloud(const std::string& argument, const std::string& url) {
  const auto parsed = sekoia::ParseUrl(url);
  if (!parsed) return;
  std::string host = parsed->host;
  while (!host.empty() && host.back() == '.') host.pop_back();
  for (const char* suffix : kNationalCloudSuffixes) {
    if (HasSuffix(host, suffix)) {
      throw sekoia::ConfigError(
          argument + ": " + host +
          " is a national cloud's host; Microsoft documents message trace for the global "
          "cloud only (not US Government L4/L5 nor 21Vianet): remove " +
          argument + " to use the global cloud's default");
    }
  }
}

std::string ReportingScope(const std::string& reporting_url) {
  // Exchange Online's resource sits beside its reports host: reports.office365.com goes with
  // outlook.office365.com. Anything else (a loopback test server) keeps the global one.
  const auto parsed = sekoia::ParseUrl(reporting_url);
  std::string global = "https://outlook.office365.com/.default";
  if (!parsed || sekoia::IsLoopbackHost(parsed->host) || parsed->host.rfind("reports.", 0) != 0)
    return global;
  return "https://outlook." + parsed->host.substr(8) + "/.default";
}

std::string NormalizePem(std::string pem) {
  for (std::size_t at; (at = pem.find("\\n")) != std::string::npos;) pem.replace(at, 2, "\n");
  if (pem.find('\n') != std::string::npos) return pem;
  std::string out;
  std::size_t pos = 0;
  while (pos < pem.size()) {
    const std::size_t begin = pem.find("-----BEGIN ", pos);
    if (begin == std::string::npos) break;
    const std::size_t begin_end = pem.find("-----", begin + 11);
    const std::size_t end =
        begin_end == std::string::npos ? begin_end : pem.find("-----END ", begin_end + 5);
    const std::size_t end_end = end == std::string::npos ? end : pem.find("-----", end + 9);
    if (end_end == std::string::npos) break;
    out += pem.substr(begin, begin_end + 5 - begin) + "\n";
    std::string body = pem.substr(begin_end + 5, end - begin_end - 5);
    std::size_t start = body.find_first_not_of(' ');
    while (start != std::string::npos) {
      const std::size_t space = body.find(' ', start);
      out +=
          body.substr(start, space == std::string::npos ? std::string::npos : space - start) + "\n";
      start = space == std::string::npos ? space : body.find_first_not_of(' ', space);
    }
    out += pem.substr(end, end_end + 5 - end) + "\n";
    pos = end_end + 5;
  }
  return out.empty() ? pem : out;
}

ClientCredentialsConfig::~ClientCredentialsConfig() {
  sekoia::Wipe(client_secret);
  sekoia::Wipe(client_private_key);
}

ReportingTriggerConfig::~ReportingTriggerConfig() { sekoia::Wipe(account_password); }

void CheckAgainstLimits(const CollectorOptions& collector, const SourceLimits& limits) {
  const std::chrono::seconds last_age =
      collector.reread_after.empty() ? std::chrono::seconds(0) : collector.reread_after.back();
  if (last_age + collector.frequency > limits.max_age) {
    throw sekoia::ConfigError(
        "lookback: the last re-read comes after the service drops the data; give at most " +
        std::to_string((limits.max_age - collector.frequency).count() / 60) + " minutes");
  }
  // Without a full lookback, a frequency longer than the API's longest window is read in windows
  // of that length, one after the other.
  if (collector.lookback.count() > 0 &&
      collector.lookback + collector.frequency > limits.max_window) {
    if (limits.max_window - collector.frequency < std::chrono::minutes(1)) {
      throw sekoia::ConfigError(
          "lookback: a full lookback leaves no room in this API's windows of " +
          std::to_string(limits.max_window.count() / 60) +
          " minutes at this frequency; give a frequency under " +
          std::to_string(limits.max_window.count() - 60) +
          " seconds, or re-reads instead of reread_after_minutes 'full'");
    }
    throw sekoia::ConfigError(
        "lookback: too long for this API; give at most " +
        std::to_string((limits.max_window - collector.frequency).count() / 60) + " minutes");
  }
}

std::chrono::seconds LoadBudgetPeriod(const char* value) {
  const std::chrono::seconds microsoft{300};
  if (value == nullptr || *value == '\0') return microsoft;
  const std::string text = value;
  const bool digits = text.size() <= 3 && std::all_of(text.begin(), text.end(),
                                                      [](char c) { return c >= '0' && c <= '9'; });
  const int seconds = digits ? std::stoi(text) : 0;
  if (seconds < 1 || seconds > microsoft.count()) {
    throw sekoia::ConfigError(
        std::string(kBudgetPeriodVariable) + ": '" + text.substr(0, 20) +
        "' is not a period of 1 to 300 seconds; it is for time-compressed measurements only: "
        "unset it to use Microsoft's 5 minutes");
  }
  return std::chrono::seconds(seconds);
}

void LoadRereads(const sekoia::Arguments& arguments, CollectorOptions& collector,
                 double max_minutes) {
  const std::string text = arguments.String("reread_after_minutes", kDefaultRereadAfterMinutes);
  if (text == kFullLookback) return;  // collector.lookback stays a full lookback
  std::vector<std::chrono::seconds> ages =
      ParseRereadAges(text, "reread_after_minutes", max_minutes);
  // An existing configuration has no reread_after_minutes: its lookback sets the last age (0: no
  // re-read). Given, the list rules: the platform may fill lookback in with its default.
  if (!arguments.Has("reread_after_minutes"))
    ages = ApplyLookback(std::move(ages), collector.lookback);
  collector.reread_after = std::move(ages);
  collector.lookback = std::chrono::seconds(0);
}

CommonConfig LoadCommonConfig(const sekoia::Arguments& arguments,
                              const std::string& module_intake_url) {
  CommonConfig config;
  config.intake_key = arguments.RequiredString("intake_key");
  // It goes into the User-Agent header: a CR or LF would inject headers.
  if (!sekoia::http::IsSafeHeaderValue(config.intake_key)) {
    throw sekoia::ConfigError(
        "intake_key: holds a control character (a line break?); give the key alone, as "
        "the intake's page shows it");
  }
  // Like the SDK, a plain http intake is accepted: in a cluster, intake_url is an http service.
  config.intake_server = arguments.HttpUrl(
      "intake_server", module_intake_url.empty() ? "https://intake.sekoia.io" : module_intake_url);
  config.chunk_size = static_cast<std::size_t>(arguments.Integer("chunk_size", 1000, 1, 10000));
  config.http_timeout = std::chrono::seconds(arguments.Integer("http_timeout", 120, 5, 600));
  config.collector.frequency = std::chrono::seconds(arguments.Integer("frequency", 60, 1, 86400));
  config.collector.timedelta = arguments.Minutes("timedelta", 5, 0, 1440);
  config.collector.start_time = std::chrono::hours(arguments.Integer("start_time", 1, 0, 24 * 90));
  config.requests_per_5_minutes = static_cast<int>(arguments.Integer(
      "requests_per_5_minutes", kDefaultRequestsPer5Minutes, 1, kMicrosoftRequestsPer5Minutes));
  if (arguments.Has("ca_bundle")) {
    config.ca_bundle = NormalizePem(arguments.RequiredString("ca_bundle"));
    try {
      sekoia::http::CheckCaBundle(config.ca_bundle);
    } catch (const std::invalid_argument&) {
      throw sekoia::ConfigError(
          "ca_bundle: holds no valid PEM certificate; give the authority of the TLS proxy, from "
          "-----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----");
    }
  }
  return config;
}

ClientCredentialsConfig LoadClientCredentials(const sekoia::Arguments& arguments) {
  ClientCredentialsConfig config;
  config.tenant_id = arguments.RequiredString("tenant_id");
  // The tenant goes into the token URL's path: a GUID or a domain name, nothing else.
  if (!std::all_of(config.tenant_id.begin(), config.tenant_id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
      })) {
    throw sekoia::ConfigError(
        "tenant_id: must be the Directory (tenant) ID, a GUID such as "
        "00000000-0000-0000-0000-000000000000, "
        "or the tenant's domain name");
  }
  config.client_id = arguments.RequiredString("client_id");
  const bool certificate =
      arguments.Has("client_certificate") || arguments.Has("client_private_key");
  if (certificate && arguments.Has("client_secret")) {
    throw sekoia::ConfigError(
        "client_secret: give either client_secret or client_certificate with client_private_key, "
        "not both");
  }
  if (!certificate) {
    if (!arguments.Has("client_secret")) {
      throw sekoia::ConfigError(
          "client_secret: missing; give the client secret's Value, or client_certificate and "
          "client_private_key");
    }
    config.client_secret = arguments.RequiredString("client_secret");
  } else {
    config.client_certificate = NormalizePem(arguments.RequiredString("client_certificate"));
    config.client_private_key = NormalizePem(arguments.RequiredString("client_private_key"));
    try {
      sekoia::auth::ClientCertificate parsed(config.client_certificate, config.client_private_key);
    } catch (const sekoia::auth::CertificateError& error) {
      const bool key = error.part() == sekoia::auth::CertificateError::Part::kPrivateKey;
      throw sekoia::ConfigError(std::string(key ? "client_private_key: " : "client_certificate: ") +
                                error.what());
    }
  }
  config.login_url = arguments.SecureUrl("login_url", config.login_url);
  RefuseNationalCloud("login_url", config.login_url);
  return config;
}

GraphTriggerConfig LoadGraphTriggerConfig(const sekoia::Arguments& given,
                                          const std::string& module_intake_url) {
  // A copy of its own: the names read here, and only here, are the ones this trigger knows.
  const sekoia::Arguments arguments(given.object());
  GraphTriggerConfig config;
  config.common = LoadCommonConfig(arguments, module_intake_url);
  config.credentials = LoadClientCredentials(arguments);
  config.graph.graph_url = arguments.SecureUrl("graph_url", config.graph.graph_url);
  RefuseNationalCloud("graph_url", config.graph.graph_url);
  config.credentials.scope = "https://graph.microsoft.com/.default";
  config.graph.api_version = arguments.String("api_version", config.graph.api_version);
  if (config.graph.api_version != "v1.0" && config.graph.api_version != "beta") {
    throw sekoia::ConfigError("api_version: '" + config.graph.api_version +
                              "' is not a Graph version; give v1.0 or beta");
  }
  config.graph.page_size = static_cast<int>(arguments.Integer("page_size", 5000, 1, 5000));
  config.common.collector.lookback =
      arguments.Minutes("lookback", kDefaultLookbackMinutes, 0, 1440);
  LoadRereads(arguments, config.common.collector, 1440);
  CheckAgainstLimits(config.common.collector, GraphSource::ServiceLimits());
  config.common.warnings = sekoia::UnknownArgumentWarnings(arguments);
  return config;
}

ReportingTriggerConfig LoadReportingTriggerConfig(const sekoia::Arguments& given,
                                                  const std::string& module_intake_url,
                                                  ReportingAuth auth) {
  const sekoia::Arguments arguments(given.object());  // as above
  ReportingTriggerConfig config;
  config.common = LoadCommonConfig(arguments, module_intake_url);
  config.reporting.auth = auth;
  if (auth == ReportingAuth::kBasic) {
    config.account_name = arguments.RequiredString("account_name");
    config.account_password = arguments.RequiredString("account_password");
  } else {
    config.credentials = LoadClientCredentials(arguments);
  }
  config.reporting.reporting_url =
      arguments.SecureUrl("reporting_url", config.reporting.reporting_url);
  RefuseNationalCloud("reporting_url", config.reporting.reporting_url);
  config.credentials.scope = ReportingScope(config.reporting.reporting_url);
  config.common.collector.lookback = arguments.Minutes("lookback", kDefaultLookbackMinutes, 0, 240);
  LoadRereads(arguments, config.common.collector, 1440);
  CheckAgainstLimits(config.common.collector, ReportingSource::ServiceLimits());
  config.common.warnings = sekoia::UnknownArgumentWarnings(arguments);
  return config;
}

}  // namespace message_trace
