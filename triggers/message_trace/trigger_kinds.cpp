#include "trigger_kinds.hpp"

#include "graph_source.hpp"
#include "reporting_source.hpp"
#include "sekoia/auth/basic_auth_transport.hpp"
#include "sekoia/auth/bearer_auth_transport.hpp"
#include "sekoia/auth/client_secret_credential.hpp"
#include "sekoia/time_format.hpp"

namespace message_trace {
namespace {

// Says when the certificate has expired or soon will: Microsoft refuses an expired one.
void WarnAboutExpiry(const sekoia::auth::ClientCertificate& certificate, sekoia::TimePoint now,
                     sekoia::Logger& logger) {
  const sekoia::TimePoint expiry = certificate.NotAfter();
  const std::string date = sekoia::FormatIso8601(expiry);
  if (expiry <= now) {
    logger.Error(
        "client_certificate expired on " + date +
        ": Microsoft refuses it; upload a new certificate to the application and give it here");
  } else if (expiry - now < std::chrono::hours(24 * 30)) {
    logger.Warning(
        "client_certificate expires on " + date + " (in " +
        sekoia::HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(expiry - now)) +
        "): upload a new certificate to the application and give it here before then");
  }
}

// A token credential from `credentials` (a certificate, else the secret), its token requests
// through `login`; the token goes only to `service_url`'s origin, whatever URL a page or a stored
// checkpoint names.
MicrosoftAuth MakeTokenAuth(const ClientCredentialsConfig& credentials,
                            const std::string& service_url, sekoia::http::HttpTransport& inner,
                            sekoia::http::HttpTransport& login, sekoia::Clock& clock,
                            sekoia::Logger& logger, sekoia::Redactor& redactor) {
  MicrosoftAuth auth;
  auth.token_url = credentials.login_url + "/" + credentials.tenant_id + "/oauth2/v2.0/token";
  // Every access token obtained is registered in the redactor before it is used.
  if (!credentials.client_certificate.empty()) {
    auth.certificate = std::make_unique<sekoia::auth::ClientCertificate>(
        credentials.client_certificate, credentials.client_private_key);
    WarnAboutExpiry(*auth.certificate, clock.Now(), logger);
    sekoia::auth::ClientCertificateOptions options;
    options.token_url = auth.token_url;
    options.client_id = credentials.client_id;
    options.scope = credentials.scope;
    auth.credential = std::make_unique<sekoia::auth::ClientCertificateCredential>(
        options, *auth.certificate, login, clock, &redactor);
  } else {
    auth.credential = std::make_unique<sekoia::auth::ClientSecretCredential>(
        sekoia::auth::ClientCredentialsOptions{auth.token_url, credentials.client_id,
                                               credentials.client_secret, credentials.scope},
        login, clock, &redactor);
  }
  auth.authorized =
      std::make_unique<sekoia::auth::BearerAuthTransport>(inner, *auth.credential, service_url);
  return auth;
}

// Microsoft Graph messageTraces.

TriggerConfig LoadGraph(const sekoia::Arguments& arguments, const std::string& module_intake_url) {
  return LoadGraphTriggerConfig(arguments, module_intake_url);
}

const ClientCredentialsConfig* GraphCredentials(const TriggerConfig& config) {
  return &std::get<GraphTriggerConfig>(config).credentials;
}

ServiceEndpoint GraphService(const TriggerConfig& config) {
  return {"graph_url", std::get<GraphTriggerConfig>(config).graph.graph_url};
}

MicrosoftAuth MakeGraphAuth(const TriggerConfig& config, sekoia::http::HttpTransport& inner,
                            sekoia::http::HttpTransport& login, sekoia::Clock& clock,
                            sekoia::Logger& logger, sekoia::Redactor& redactor) {
  const auto& graph = std::get<GraphTriggerConfig>(config);
  return MakeTokenAuth(graph.credentials, graph.graph.graph_url, inner, login, clock, logger,
                       redactor);
}

std::unique_ptr<TraceSource> MakeGraphSource(const TriggerConfig& config,
                                             sekoia::http::HttpTransport& microsoft,
                                             int page_size) {
  GraphSourceOptions options = std::get<GraphTriggerConfig>(config).graph;
  if (page_size > 0) options.page_size = page_size;
  return std::make_unique<GraphSource>(options, microsoft);
}

std::string GraphName(const TriggerConfig& config) {
  return "Microsoft Graph message trace trigger, tenant " +
         std::get<GraphTriggerConfig>(config).credentials.tenant_id;
}

// The legacy Reporting Web Service, Basic auth or OAuth.

TriggerConfig LoadReportingBasic(const sekoia::Arguments& arguments,
                                 const std::string& module_intake_url) {
  return LoadReportingTriggerConfig(arguments, module_intake_url, ReportingAuth::kBasic);
}

TriggerConfig LoadReportingOAuth(const sekoia::Arguments& arguments,
                                 const std::string& module_intake_url) {
  return LoadReportingTriggerConfig(arguments, module_intake_url, ReportingAuth::kOAuth);
}

const ClientCredentialsConfig* NoCredentials(const TriggerConfig&) { return nullptr; }

const ClientCredentialsConfig* ReportingCredentials(const TriggerConfig& config) {
  return &std::get<ReportingTriggerConfig>(config).credentials;
}

ServiceEndpoint ReportingService(const TriggerConfig& config) {
  return {"reporting_url", std::get<ReportingTriggerConfig>(config).reporting.reporting_url};
}

MicrosoftAuth MakeBasicAuth(const TriggerConfig& config, sekoia::http::HttpTransport& inner,
                            sekoia::http::HttpTransport&, sekoia::Clock&, sekoia::Logger&,
                            sekoia::Redactor& redactor) {
  const auto& reporting = std::get<ReportingTriggerConfig>(config);
  MicrosoftAuth auth;
  // The password goes only to reporting_url's origin.
  auth.authorized = std::make_unique<sekoia::auth::BasicAuthTransport>(
      inner, reporting.account_name, reporting.account_password, reporting.reporting.reporting_url,
      &redactor);
  return auth;
}

MicrosoftAuth MakeReportingTokenAuth(const TriggerConfig& config,
                                     sekoia::http::HttpTransport& inner,
                                     sekoia::http::HttpTransport& login, sekoia::Clock& clock,
                                     sekoia::Logger& logger, sekoia::Redactor& redactor) {
  const auto& reporting = std::get<ReportingTriggerConfig>(config);
  return MakeTokenAuth(reporting.credentials, reporting.reporting.reporting_url, inner, login,
                       clock, logger, redactor);
}

std::unique_ptr<TraceSource> MakeReportingSource(const TriggerConfig& config,
                                                 sekoia::http::HttpTransport& microsoft,
                                                 int page_size) {
  ReportingSourceOptions options = std::get<ReportingTriggerConfig>(config).reporting;
  if (page_size > 0) options.page_rows = static_cast<std::size_t>(page_size);
  return std::make_unique<ReportingSource>(options, microsoft);
}

std::string BasicName(const TriggerConfig&) {
  return "Reporting Web Service message trace trigger (Basic auth)";
}

std::string OAuthName(const TriggerConfig& config) {
  return "Reporting Web Service message trace trigger (OAuth, tenant " +
         std::get<ReportingTriggerConfig>(config).credentials.tenant_id + ")";
}

}  // namespace

const CommonConfig& Common(const TriggerConfig& config) {
  return std::visit([](const auto& kind) -> const CommonConfig& { return kind.common; }, config);
}

const std::vector<TriggerKind>& TriggerKinds() {
  static const std::vector<TriggerKind> kinds = {
      {"office365_messagetrace_trigger_graph", "Microsoft Graph messageTraces (client credentials)",
       LoadGraph, GraphCredentials, GraphService, MakeGraphAuth, MakeGraphSource, GraphName, true,
       true},
      // The command of Sekoia's Python Graph connector: its image can be swapped for this one.
      {"office365_messagetrace_trigger_graph_api",
       "the same, under the name of Sekoia's Python Graph connector", LoadGraph, GraphCredentials,
       GraphService, MakeGraphAuth, MakeGraphSource, GraphName, true, true},
      {"office365_messagetrace_trigger", "legacy Reporting Web Service, Basic auth",
       LoadReportingBasic, NoCredentials, ReportingService, MakeBasicAuth, MakeReportingSource,
       BasicName, false, false},
      {"office365_messagetrace_trigger_oauth", "legacy Reporting Web Service, OAuth",
       LoadReportingOAuth, ReportingCredentials, ReportingService, MakeReportingTokenAuth,
       MakeReportingSource, OAuthName, true, false},
  };
  return kinds;
}

const TriggerKind* FindTriggerKind(const std::string& command) {
  for (const TriggerKind& kind : TriggerKinds()) {
    if (command == kind.command) return &kind;
  }
  return nullptr;
}

std::string TriggerCommands() {
  std::string names;
  for (const TriggerKind& kind : TriggerKinds())
    names += (names.empty() ? "" : ", ") + std::string(kind.command);
  return names;
}

}  // namespace message_trace
