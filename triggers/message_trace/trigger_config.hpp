#pragma once

#include <string>
#include <vector>

#include "collector.hpp"
#include "graph_source.hpp"
#include "reporting_source.hpp"
#include "request_budget.hpp"
#include "sekoia/config.hpp"

namespace message_trace {

/** Minutes re-read before each window, for records published late and status changes (see
 *  scripts/latency-recall.sh for the measurement behind it). */
constexpr double kDefaultLookbackMinutes = 60;
/** Ages, in minutes after a window's end, at which it is read again: from the delays Exchange
 *  Online shows (README, "Late records": 80% within 5 minutes, 95% within 30, all within 60). */
constexpr const char* kDefaultRereadAfterMinutes = "5,15,30,60";
/** `reread_after_minutes` for the former behaviour: the whole lookback before every window. */
constexpr const char* kFullLookback = "full";

/** Arguments every message-trace trigger takes (the platform's existing names and defaults). */
struct CommonConfig final {
  std::string intake_key;     ///< secret-ish: only in the batch body, User-Agent and metrics label
  std::string intake_server;  ///< default: the module's intake_url, else https://intake.sekoia.io
  std::size_t chunk_size = 1000;
  std::chrono::seconds http_timeout{
      120};               ///< a request to Microsoft or the intake, send to last byte
  std::string ca_bundle;  ///< PEM authorities trusted besides the system's (a TLS-inspecting proxy)
  CollectorOptions collector;  ///< includes timedelta, start_time, frequency and lookback
  /** This trigger's share of the tenant's 100 message-trace requests per 5 minutes. */
  int requests_per_5_minutes = kDefaultRequestsPer5Minutes;
  /** What the operator should fix though the trigger runs (an unknown argument, with the known
   *  name it is likely a typo of); logged once at start. */
  std::vector<std::string> warnings;
};

/** The Microsoft identity platform's client-credentials arguments. */
struct ClientCredentialsConfig final {
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;       ///< secret; empty when a certificate is given
  std::string client_certificate;  ///< PEM, with client_private_key, instead of client_secret
  std::string client_private_key;  ///< PEM (unencrypted RSA); secret
  std::string login_url = "https://login.microsoftonline.com";
  /// The token's resource: Graph's, or Exchange Online's (beside reporting_url's host).
  std::string scope;

  ClientCredentialsConfig() = default;
  ClientCredentialsConfig(const ClientCredentialsConfig&) = default;
  /** Moves take the secrets' buffers along (a copy would leave one more to wipe). */
  ClientCredentialsConfig(ClientCredentialsConfig&&) noexcept = default;
  ClientCredentialsConfig& operator=(const ClientCredentialsConfig&) = default;
  ClientCredentialsConfig& operator=(ClientCredentialsConfig&&) noexcept = default;
  /** The copies of the secrets die wiped, not in freed memory a later allocation could expose. */
  ~ClientCredentialsConfig();
};

struct GraphTriggerConfig final {
  CommonConfig common;
  ClientCredentialsConfig credentials;
  GraphSourceOptions graph;
};

/** The legacy Reporting Web Service triggers: Basic (account_name, account_password) or OAuth. */
struct ReportingTriggerConfig final {
  CommonConfig common;
  ReportingSourceOptions reporting;
  ClientCredentialsConfig credentials;  ///< OAuth only
  std::string account_name;             ///< Basic only
  std::string account_password;         ///< Basic only; secret

  ReportingTriggerConfig() = default;
  ReportingTriggerConfig(const ReportingTriggerConfig&) = default;
  ReportingTriggerConfig(ReportingTriggerConfig&&) noexcept = default;
  ReportingTriggerConfig& operator=(const ReportingTriggerConfig&) = default;
  ReportingTriggerConfig& operator=(ReportingTriggerConfig&&) noexcept = default;
  ~ReportingTriggerConfig();  ///< wipes account_password
};

/** A PEM as it was exported: forms and environment variables often flatten one, with "\n"
 *  typed as two characters or the line breaks turned into spaces. */
std::string NormalizePem(std::string pem);

/** Throws ConfigError when `url` names a national cloud's host (US Government, China): message
 *  trace is documented for the global cloud only. Loopback and other hosts pass. */
void RefuseNationalCloud(const std::string& argument, const std::string& url);

/** The legacy OAuth token's scope: `https://outlook.<domain>/.default` for a
 *  `reports.<domain>` reporting_url, else Exchange Online's global `outlook.office365.com`. */
std::string ReportingScope(const std::string& reporting_url);

/** Sets `collector`'s re-read ages (or its full lookback) from reread_after_minutes and
 *  lookback, once `collector.lookback` holds the lookback argument. Throws ConfigError. */
void LoadRereads(const sekoia::Arguments& arguments, CollectorOptions& collector,
                 double max_minutes);

/** Throws ConfigError unless the collector's timing fits the API's `limits`: the last re-read
 *  before the service drops the data; a full lookback, with `frequency`, within its longest window.
 */
void CheckAgainstLimits(const CollectorOptions& collector, const SourceLimits& limits);

/** The environment variable that shortens the request budget's period; for time-compressed
 *  measurements only (scripts/latency-recall.sh, the LateRecords integration test). */
constexpr const char* kBudgetPeriodVariable = "OFFICE365_BUDGET_PERIOD_SECONDS";

/** The request budget's period: Microsoft's 5 minutes, unless `value` (kBudgetPeriodVariable,
 *  null when unset or empty) gives whole seconds from 1 to 300. Throws ConfigError otherwise. */
std::chrono::seconds LoadBudgetPeriod(const char* value);

/** Reads and validates; throws sekoia::ConfigError naming the argument. The trigger loaders
 *  put in `common.warnings` one warning per argument they do not know (UnknownArgumentWarnings). */
CommonConfig LoadCommonConfig(const sekoia::Arguments& arguments,
                              const std::string& module_intake_url);
ClientCredentialsConfig LoadClientCredentials(const sekoia::Arguments& arguments);
GraphTriggerConfig LoadGraphTriggerConfig(const sekoia::Arguments& given,
                                          const std::string& module_intake_url);
ReportingTriggerConfig LoadReportingTriggerConfig(const sekoia::Arguments& given,
                                                  const std::string& module_intake_url,
                                                  ReportingAuth auth);

}  // namespace message_trace
