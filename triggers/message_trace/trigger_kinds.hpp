#pragma once

// The trigger kinds: each command the manifest's trigger_*.json declare (docker_parameters), with
// its configuration loader and the factories of its Microsoft side. RunTrigger and `check` look
// the command up once, then use the kind's functions.
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "sekoia/auth/client_certificate_credential.hpp"
#include "sekoia/auth/token_provider.hpp"
#include "sekoia/clock.hpp"
#include "sekoia/config.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/logger.hpp"
#include "sekoia/redaction.hpp"
#include "trace_source.hpp"
#include "trigger_config.hpp"

namespace message_trace {

/** A trigger's validated arguments: Microsoft Graph, or the legacy Reporting Web Service (Basic
 *  auth or OAuth, as `reporting.auth` says). */
using TriggerConfig = std::variant<GraphTriggerConfig, ReportingTriggerConfig>;

/** The arguments every kind takes. */
const CommonConfig& Common(const TriggerConfig& config);

/** How requests to Microsoft authenticate: a token credential (Graph, OAuth) or Basic auth. */
struct MicrosoftAuth final {
  std::unique_ptr<sekoia::auth::ClientCertificate>
      certificate;                                          ///< outlives the credential using it
  std::unique_ptr<sekoia::auth::TokenProvider> credential;  ///< null with Basic auth
  std::unique_ptr<sekoia::http::HttpTransport> authorized;  ///< the requests' transport
  std::string token_url;                                    ///< empty with Basic auth
};

/** The Microsoft service a trigger reads: the argument that configures it, and its URL. */
struct ServiceEndpoint final {
  const char* argument;  ///< graph_url or reporting_url
  std::string url;
};

/** One command and how to build its trigger. Every function takes the configuration its own
 *  `load` returned. */
struct TriggerKind final {
  const char* command;      ///< as the manifest's trigger_*.json declare it (docker_parameters)
  const char* description;  ///< its line in --help
  /** Reads and validates every argument (no later step refuses one); throws sekoia::ConfigError
   *  naming the argument and the fix. */
  TriggerConfig (*load)(const sekoia::Arguments& arguments, const std::string& module_intake_url);
  /** The client credentials (tenant, login_url), or null with Basic auth. */
  const ClientCredentialsConfig* (*credentials)(const TriggerConfig& config);
  ServiceEndpoint (*service)(const TriggerConfig& config);
  /** Authentication over `inner` (borrowed, as `login`, the token requests' transport, `clock`,
   *  `logger` and `redactor`, which must outlive the result); every token obtained is registered
   *  in `redactor`. Logs an error or warning when the client certificate has expired or soon will.
   */
  MicrosoftAuth (*make_auth)(const TriggerConfig& config, sekoia::http::HttpTransport& inner,
                             sekoia::http::HttpTransport& login, sekoia::Clock& clock,
                             sekoia::Logger& logger, sekoia::Redactor& redactor);
  /** The message-trace source, its requests through `microsoft` (borrowed); `page_size` 0 keeps
   *  the configured page size. */
  std::unique_ptr<TraceSource> (*make_source)(const TriggerConfig& config,
                                              sekoia::http::HttpTransport& microsoft,
                                              int page_size);
  /** The trigger as its start line names it, e.g. "Microsoft Graph message trace trigger, tenant
   * X". */
  std::string (*name)(const TriggerConfig& config);
  bool uses_token;  ///< gets a token from the identity platform (false: Basic auth)
  /** The Python Graph connector's context.json is resumed, its events_cache included. */
  bool resumes_python_graph_context;
};

/** The kind of `command`, or null when it is not a trigger command. */
const TriggerKind* FindTriggerKind(const std::string& command);

/** Every kind, one per command, in --help's order. */
const std::vector<TriggerKind>& TriggerKinds();

/** The commands, comma-separated, for the errors that ask for one. */
std::string TriggerCommands();

}  // namespace message_trace
