#include "trigger_config.hpp"

#include <algorithm>

#include "sekoia/errors.hpp"

namespace office365 {

CommonConfig LoadCommonConfig(const sekoia::Arguments& arguments, const std::string& module_intake_url) {
  CommonConfig config;
  config.intake_key = arguments.RequiredString("intake_key");
  config.intake_server = arguments.SecureUrl(
      "intake_server", module_intake_url.empty() ? "https://intake.sekoia.io" : module_intake_url);
  config.chunk_size = static_cast<std::size_t>(arguments.Integer("chunk_size", 1000, 1, 10000));
  config.collector.frequency = std::chrono::seconds(arguments.Integer("frequency", 60, 1, 86400));
  config.collector.timedelta = arguments.Minutes("timedelta", 5, 0, 1440);
  config.collector.start_time = std::chrono::hours(arguments.Integer("start_time", 1, 0, 24 * 90));
  return config;
}

ClientCredentialsConfig LoadClientCredentials(const sekoia::Arguments& arguments) {
  ClientCredentialsConfig config;
  config.tenant_id = arguments.RequiredString("tenant_id");
  // The tenant goes into the token URL's path: a GUID or a domain name, nothing else.
  if (!std::all_of(config.tenant_id.begin(), config.tenant_id.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; })) {
    throw sekoia::ConfigError(
        "tenant_id: must be the Directory (tenant) ID, a GUID such as 00000000-0000-0000-0000-000000000000, "
        "or the tenant's domain name");
  }
  config.client_id = arguments.RequiredString("client_id");
  config.client_secret = arguments.RequiredString("client_secret");
  config.login_url = arguments.SecureUrl("login_url", config.login_url);
  return config;
}

GraphTriggerConfig LoadGraphTriggerConfig(const sekoia::Arguments& arguments, const std::string& module_intake_url) {
  GraphTriggerConfig config;
  config.common = LoadCommonConfig(arguments, module_intake_url);
  config.credentials = LoadClientCredentials(arguments);
  config.graph.graph_url = arguments.SecureUrl("graph_url", config.graph.graph_url);
  config.graph.api_version = arguments.String("api_version", config.graph.api_version);
  if (config.graph.api_version != "v1.0" && config.graph.api_version != "beta") {
    throw sekoia::ConfigError("api_version: '" + config.graph.api_version + "' is not a Graph version; give v1.0 or beta");
  }
  config.graph.page_size = static_cast<int>(arguments.Integer("page_size", 5000, 1, 5000));
  config.common.collector.lookback = arguments.Minutes("lookback", kDefaultLookbackMinutes, 0, 1440);
  return config;
}

ReportingTriggerConfig LoadReportingTriggerConfig(const sekoia::Arguments& arguments, const std::string& module_intake_url,
                                                  ReportingAuth auth) {
  ReportingTriggerConfig config;
  config.common = LoadCommonConfig(arguments, module_intake_url);
  config.reporting.auth = auth;
  if (auth == ReportingAuth::kBasic) {
    config.account_name = arguments.RequiredString("account_name");
    config.account_password = arguments.RequiredString("account_password");
  } else {
    config.credentials = LoadClientCredentials(arguments);
  }
  config.reporting.reporting_url = arguments.SecureUrl("reporting_url", config.reporting.reporting_url);
  config.common.collector.lookback = arguments.Minutes("lookback", kDefaultLookbackMinutes, 0, 240);
  return config;
}

}  // namespace office365
