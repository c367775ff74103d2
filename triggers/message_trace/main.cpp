// office365-messagetrace <command>: options -> configuration -> wiring -> run.
// The only place that builds concrete objects.
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>

#include "check_command.hpp"
#include "collector.hpp"
#include "python_context.hpp"
#include "request_budget.hpp"
#include "sekoia/checkpoint_store.hpp"
#include "sekoia/config.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/health.hpp"
#include "sekoia/http/curl_transport.hpp"
#include "sekoia/http/retrying_transport.hpp"
#include "sekoia/http/sanitizing_transport.hpp"
#include "sekoia/intake/intake_batcher.hpp"
#include "sekoia/logger.hpp"
#include "sekoia/metrics.hpp"
#include "sekoia/object_store.hpp"
#include "sekoia/platform_logger.hpp"
#include "sekoia/random.hpp"
#include "sekoia/s3_object_store.hpp"
#include "sekoia/storage_config.hpp"
#include "sekoia/stream_logger.hpp"
#include "sekoia/time_format.hpp"
#include "sekoia/url.hpp"
#include "trigger_config.hpp"
#include "trigger_kinds.hpp"

namespace {

namespace po = boost::program_options;
using namespace message_trace;

constexpr int kUsageError = 2;

// As the SDK's _STOP_EVENT_WAIT: after a configuration error, the configuration is read again
// this often (stopped at once by SIGTERM), instead of exiting into a restart loop.
constexpr std::chrono::seconds kConfigurationRetry{120};
// While the checkpoint cannot be read (object storage unreachable or refusing the credentials, an
// unreadable file), how often it is tried again; nothing is collected meanwhile.
constexpr std::chrono::seconds kStorageRetry{60};

struct CommandLine {
  std::string command;
  std::string target;  ///< the trigger command `check` checks
  std::string config_dir = "/symphony";
  std::string data_dir = "/symphony_data";
};

std::string Usage(const po::options_description& options) {
  std::ostringstream out;
  out << "usage: office365-messagetrace <command> [--config-dir DIR] [--data-dir DIR]\n"
         "       office365-messagetrace check <command> [--config-dir DIR]\n\ncommands:\n";
  for (const TriggerKind& kind : TriggerKinds())
    out << "  " << kind.command << "\n      " << kind.description << "\n";
  out << "  check <command>\n"
         "      reads <command>'s configuration as it does, gets a token, makes one query ($top=1) "
         "over the\n"
         "      last hour and posts an empty batch to the intake (no record is forwarded); one "
         "line per\n"
         "      step, exit 0 when all pass, 1 at the first failure\n";
  out << "\n" << options;
  out << "\nconfiguration: each value is read from the file <config-dir>/<name>, else from the "
         "environment\n"
         "variable <NAME> (an empty variable counts as absent):\n"
         "  TRIGGER_CONFIGURATION    the trigger's arguments (JSON, or its base64)\n"
         "  CONNECTOR_CONFIGURATION  the same, read first when present\n"
         "  TOKEN                    the platform's token, for the logs API\n"
         "  URL_CALLBACK             the platform's callback URL; URL_LOGS defaults to it, "
         "/callback -> /logs\n"
         "  URL_LOGS                 the platform's logs API\n"
         "  INTAKE_URL               the intake, when the arguments have no intake_server\n"
         "  LIVENESS_PORT            port of GET /health (default 8000)\n"
         "  METRICS_PORT             port of the Prometheus metrics (default 8020)\n"
         "  SUB_FOLDER               sub-directory of the data directory (or bucket) that holds "
         "the checkpoint\n"
         "  FILE_BACKEND             S3: the checkpoint lives in an S3 bucket, with "
         "AWS_BUCKET_NAME,\n"
         "                           AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN "
         "(optional),\n"
         "                           AWS_DEFAULT_REGION, AWS_S3_ENDPOINT_URL, and CA_CERT, "
         "CLIENT_CERT,\n"
         "                           CLIENT_KEY (PEM) for TLS to it\n"
         "environment only:\n"
         "  HTTPS_PROXY (https_proxy)  proxy of the https requests, "
         "http://[user:password@]host:port\n"
         "  HTTP_PROXY (http_proxy)    proxy of the plain-http requests (an in-cluster intake)\n"
         "  NO_PROXY (no_proxy)        hosts reached directly (loopback always is)\n"
         "not read: MODULE_CONFIGURATION (the module has no configuration of its own)\n";
  return out.str();
}

// SIGTERM and SIGINT become a stop request, from the handler itself (StopSignal::Request is
// async-signal-safe): no thread stands waiting for signals.
sekoia::StopSignal* stop_on_signal = nullptr;

void HandleStopSignals(sekoia::StopSignal& stop) {
  stop_on_signal = &stop;
  struct sigaction action {};
  action.sa_handler = [](int) { stop_on_signal->Request(); };
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // A peer that closes a connection while we write to it is an error of that request, never
  // the end of the process.
  signal(SIGPIPE, SIG_IGN);
}

// Before a wait of a second or more (once caught up, between windows; Microsoft's budget;
// backoffs), gives the memory that the pages just forwarded freed back to the system: glibc
// keeps it for reuse otherwise, and a trigger spends most of its life waiting.
class MemoryReleasingClock final : public sekoia::Clock {
 public:
  explicit MemoryReleasingClock(sekoia::Clock& inner) : inner_(inner) {}
  sekoia::TimePoint Now() const override { return inner_.Now(); }
  sekoia::SteadyPoint Steady() const override { return inner_.Steady(); }
  bool Wait(std::chrono::milliseconds duration, const sekoia::StopSignal& stop) override {
    if (duration >= std::chrono::seconds(1)) malloc_trim(0);
    return inner_.Wait(duration, stop);
  }

 private:
  sekoia::Clock& inner_;
};

// Masks in `redactor`, before anything can print them, the secrets the arguments hold, even
// when the configuration turns out to be invalid.
void RegisterSecrets(const sekoia::Arguments& arguments, sekoia::Redactor& redactor) {
  for (const char* secret : {"client_secret", "account_password", "intake_key",
                             "client_private_key", "client_certificate"}) {
    if (!arguments.Has(secret)) continue;
    try {
      const std::string value = arguments.RequiredString(secret);
      redactor.AddEachLine(value);
      // A flattened PEM is masked in the form it is used in, line by line, too.
      redactor.AddEachLine(NormalizePem(value));
    } catch (const sekoia::ConfigError&) {
    }
  }
}

// Everything the trigger reads from its configuration, validated.
struct LoadedConfig {
  sekoia::ModuleConfig module;
  sekoia::http::ProxySettings proxy;
  std::optional<TriggerConfig> trigger;  ///< absent when the configuration is not valid
  sekoia::StorageConfig storage;
  std::chrono::seconds budget_period{300};  ///< the request budget's: see LoadBudgetPeriod
  std::string problem;                      ///< empty when valid
};

LoadedConfig ReadConfiguration(const TriggerKind& kind, const sekoia::ConfigSource& source,
                               sekoia::Redactor& redactor) {
  LoadedConfig loaded;
  try {
    for (const char* name : sekoia::kStorageSecretNames) {
      auto value = source.Get(name);
      if (!value) continue;
      redactor.AddEachLine(*value);
      while (!value->empty() && (value->back() == '\n' || value->back() == '\r')) value->pop_back();
      redactor.Add(*value);
    }
    loaded.storage = sekoia::LoadStorageConfig(source);
    loaded.module = sekoia::LoadModuleConfig(source);
    redactor.Add(loaded.module.token);
    sekoia::Arguments arguments(sekoia::LoadTriggerArguments(source));
    RegisterSecrets(arguments, redactor);
    loaded.proxy = sekoia::http::ProxyFromEnvironment();
    redactor.Add(sekoia::http::SplitProxyUrl(loaded.proxy.https_proxy).password);
    redactor.Add(sekoia::http::SplitProxyUrl(loaded.proxy.http_proxy).password);
    loaded.trigger = kind.load(arguments, loaded.module.intake_url);
    loaded.budget_period = LoadBudgetPeriod(std::getenv(kBudgetPeriodVariable));
  } catch (const sekoia::ConfigError& error) {
    loaded.trigger.reset();
    loaded.problem = error.what();
  }
  return loaded;
}

// The HTTP client of every request: its errors name the argument that configures the service.
// Before the configuration is valid (`config` absent), the logger's: defaults, no Microsoft
// service.
std::unique_ptr<sekoia::http::HttpTransport> MakeNetwork(const TriggerKind& kind,
                                                         const std::optional<TriggerConfig>& config,
                                                         const sekoia::ModuleConfig& module,
                                                         const sekoia::http::ProxySettings& proxy) {
  const CommonConfig defaults;
  const CommonConfig& common = config ? Common(*config) : defaults;
  sekoia::http::CurlTransportOptions options;
  options.timeout = common.http_timeout;
  options.user_agent = std::string("sekoiaio-connector/") + MODULE_SLUG + "-" + MODULE_VERSION;
  options.ca_bundle = common.ca_bundle;
  options.proxy = proxy;
  std::vector<std::pair<const char*, std::string>> services = {
      {"url_logs", module.url_logs}, {"intake_server", common.intake_server}};
  if (config) {
    if (const ClientCredentialsConfig* credentials = kind.credentials(*config)) {
      services.emplace_back("login_url", credentials->login_url);
    }
    const ServiceEndpoint service = kind.service(*config);
    services.emplace_back(service.argument, service.url);
  }
  for (const auto& [name, url] : services) {
    if (auto parsed = sekoia::ParseUrl(url))
      options.service_names.emplace_back(sekoia::Origin(*parsed), name);
  }
  return sekoia::http::MakeCurlTransport(options);
}

// The Python Graph connector's events_cache in a context.json it left: the records it forwarded
// are not forwarded again. Throws StorageError when the checkpoint cannot be read; a damaged one
// is the collector's to report.
std::unique_ptr<EventsCacheFilter> ResumePythonEventsCache(ContextPreservingStore& checkpoints,
                                                           TraceSource& source,
                                                           sekoia::Logger& logger) {
  try {
    const auto document = checkpoints.Load();
    std::set<std::string> ids = checkpoints.EventsCache();
    const auto until =
        document ? document->find("most_recent_date_requested") : nlohmann::json::const_iterator();
    if (!ids.empty() && until != document->end() && until->is_string()) {
      if (auto boundary = sekoia::ParseIso8601(until->get<std::string>())) {
        logger.Info(
            "resuming the Python Graph connector's context.json: " + std::to_string(ids.size()) +
            " record ids it forwarded are not forwarded again");
        return std::make_unique<EventsCacheFilter>(source, std::move(ids), *boundary);
      }
    }
  } catch (const sekoia::StorageError&) {
    throw;
  } catch (const std::exception&) {
    // The collector reads the checkpoint again and says what is wrong with it.
  }
  return nullptr;
}

int RunTrigger(const TriggerKind& kind, const CommandLine& command_line, sekoia::StopSignal& stop,
               sekoia::Redactor& redactor) {
  sekoia::SystemClock system_clock;
  MemoryReleasingClock clock(system_clock);
  sekoia::SeededRandom random(std::random_device{}());

  // Everything is read and validated first; the network and the platform logger need some of it
  // (proxy, CA bundle), and a problem is reported through them.
  sekoia::ConfigSource source(command_line.config_dir);
  LoadedConfig loaded = ReadConfiguration(kind, source, redactor);
  const sekoia::ModuleConfig module = loaded.module;
  sekoia::http::ProxySettings proxy = loaded.proxy;
  std::optional<TriggerConfig> valid_config = loaded.trigger;
  sekoia::StorageConfig storage = loaded.storage;
  std::chrono::seconds budget_period = loaded.budget_period;
  const std::string config_problem = loaded.problem;

  // Every service's answer and every request passes the sanitizer (header values checked, error
  // texts redacted before any excerpt is cut from them).
  auto network = std::make_unique<sekoia::http::SanitizingTransport>(
      MakeNetwork(kind, valid_config, module, proxy), redactor);
  sekoia::PlatformLoggerOptions log_options;
  log_options.url_logs = module.url_logs;
  log_options.token = module.token;
  sekoia::PlatformLogger logger(log_options, *network, clock, redactor, std::cerr);
  sekoia::HealthState health(sekoia::HealthOptions{}, clock.Now());
  std::unique_ptr<sekoia::HealthServer> health_server;
  auto serve_health = [&](const sekoia::Metrics& served) {
    if (health_server) health_server->Stop();
    health_server.reset();
    try {
      health_server = sekoia::StartHealthServer(module.liveness_port, module.metrics_port, health,
                                                served, clock);
    } catch (const std::exception& error) {
      logger.Error(std::string("health and metrics are not served: ") + error.what());
    }
  };

  // As the SDK: a configuration error is a critical log, no collection, and the configuration
  // read again every 2 minutes until it is valid or SIGTERM ends the wait (exit 0); exiting
  // would have the platform restart the container in a loop. /health answers meanwhile, so the
  // liveness probe does not restart it either.
  std::unique_ptr<sekoia::Metrics> waiting_metrics;
  std::unique_ptr<sekoia::http::HttpTransport> trigger_network;
  for (std::string problem = config_problem; !problem.empty();) {
    logger.Critical("Configuration error: " + problem);
    if (!waiting_metrics) {
      waiting_metrics = std::make_unique<sekoia::Metrics>("");
      serve_health(*waiting_metrics);
    }
    if (!clock.Wait(kConfigurationRetry, stop)) {
      logger.Info("stopped before the configuration was valid; nothing was collected");
      if (health_server) health_server->Stop();
      logger.Shutdown();
      return 0;
    }
    loaded = ReadConfiguration(kind, source, redactor);
    problem = loaded.problem;
    if (problem.empty()) {
      valid_config = loaded.trigger;
      proxy = loaded.proxy;
      storage = loaded.storage;
      budget_period = loaded.budget_period;
      logger.Info("the configuration is valid now; starting");
      trigger_network = std::make_unique<sekoia::http::SanitizingTransport>(
          MakeNetwork(kind, valid_config, module, proxy), redactor);
    }
  }
  // The logger keeps the transport it was built with; the trigger's follows its configuration.
  sekoia::http::HttpTransport& transport = trigger_network ? *trigger_network : *network;
  const TriggerConfig& config = *valid_config;
  const CommonConfig& common = Common(config);

  for (const std::string& warning : common.warnings) logger.Warning("configuration: " + warning);
  sekoia::Metrics metrics(common.intake_key);
  serve_health(metrics);

  // Microsoft side: retries outside, authentication inside them (each attempt re-checks the
  // token), pacing innermost (every attempt counts against the tenant's budget). One retry
  // layer: the token request is not retried on its own inside a retried Graph request (which
  // multiplied the attempts and named the wrong host); a failed token request fails the attempt.
  sekoia::http::RetryOptions retry;
  sekoia::http::HttpTransport& login = transport;
  RequestBudgetOptions budget;
  budget.max_requests = common.requests_per_5_minutes;
  budget.period = budget_period;
  if (budget.period != RequestBudgetOptions{}.period) {
    logger.Warning(std::string(kBudgetPeriodVariable) + ": the request budget runs per " +
                   std::to_string(budget.period.count()) +
                   " s, not Microsoft's 5 minutes (for time-compressed measurements only)");
  }
  PacedTransport paced(budget, transport, clock, logger, &metrics);
  const MicrosoftAuth auth = kind.make_auth(config, paced, login, clock, logger, redactor);
  sekoia::http::RetryingTransport microsoft(retry, *auth.authorized, clock, random, logger);
  std::unique_ptr<TraceSource> trace_source = kind.make_source(config, microsoft, 0);

  sekoia::intake::IntakeOptions intake_options;
  intake_options.intake_url = common.intake_server;
  intake_options.intake_key = common.intake_key;
  intake_options.chunk_size = common.chunk_size;
  // A discarded event is named in the log by its trace id (Graph `id`, Reporting `MessageTraceId`).
  intake_options.event_id_fields = {"id", "MessageTraceId"};
  sekoia::intake::IntakeBatcher intake(intake_options, transport, clock, random, logger, metrics,
                                       health);

  // Where the checkpoint lives (the SDK's storage): an S3 bucket when file_backend says so, else
  // the data directory, then sub_folder, locked so that a second trigger cannot write it too.
  std::unique_ptr<sekoia::ObjectStore> objects;
  std::unique_ptr<sekoia::DirectoryLock> lock;
  sekoia::S3ObjectStore* bucket = nullptr;
  if (storage.backend == sekoia::StorageBackend::kS3) {
    auto s3 = std::make_unique<sekoia::S3ObjectStore>(storage.s3);
    bucket = s3.get();
    objects = std::move(s3);
  } else {
    const std::filesystem::path data_path = sekoia::DataPath(source, command_line.data_dir);
    std::error_code data_path_error;
    std::filesystem::create_directories(data_path, data_path_error);
    try {
      lock = std::make_unique<sekoia::DirectoryLock>(data_path);
    } catch (const sekoia::StorageError& error) {
      // A start-up failure (exit 1, as the SDK's): waiting would hide two triggers configured
      // on one directory; the platform restarts this one once the other is gone.
      logger.Critical(error.what());
      if (health_server) health_server->Stop();
      logger.Shutdown();
      return 1;
    }
    objects = std::make_unique<sekoia::DirectoryObjectStore>(data_path);
  }
  sekoia::ObjectCheckpointStore stored_checkpoints(*objects, "context.json");
  // What the Python triggers keep in context.json and we do not write (the Graph connector's
  // events_cache) stays there, so going back to them works.
  ContextPreservingStore checkpoints(stored_checkpoints);
  std::unique_ptr<ForwardedKeys> keys;
  if (common.collector.lookback.count() > 0 || !common.collector.reread_after.empty()) {
    keys = std::make_unique<ForwardedKeys>(*objects, "forwarded_keys.txt");
  }
  logger.Info("starting the " + kind.name(config) + ", version " + MODULE_VERSION +
              "; the checkpoint is " + objects->Where("context.json"));
  std::unique_ptr<EventsCacheFilter> cache_filter;
  std::unique_ptr<Collector> collector;
  while (!collector) {
    try {
      if (bucket) bucket->CheckBucket();
      if (kind.resumes_python_graph_context)
        cache_filter = ResumePythonEventsCache(checkpoints, *trace_source, logger);
      TraceSource& source_read =
          cache_filter ? static_cast<TraceSource&>(*cache_filter) : *trace_source;
      collector = std::make_unique<Collector>(common.collector, source_read, intake, checkpoints,
                                              clock, random, logger, metrics, health, keys.get());
    } catch (const sekoia::StorageError& error) {
      // Never a fresh start over a checkpoint that exists but cannot be read: nothing is collected
      // (and so nothing claimed) until it can be.
      health.CountError();
      logger.Critical(
          std::string(
              "the checkpoint cannot be read; nothing is collected until it can (tried again "
              "every minute): ") +
          error.what());
      if (!clock.Wait(kStorageRetry, stop)) {
        logger.Info("stopped before the checkpoint could be read; nothing was collected");
        if (health_server) health_server->Stop();
        logger.Shutdown();
        return 0;
      }
    }
  }
  collector->Run(stop);
  logger.Info("stopped; a restart resumes " + collector->ResumePoint());
  if (health_server) health_server->Stop();
  logger.Shutdown();
  return 0;
}

// `check <command>`: the trigger's configuration and wiring, one pass over each service, no
// record forwarded; one line per step on stdout, exit 0 when every step passed, else 1.
int RunCheck(const TriggerKind& kind, const CommandLine& command_line, sekoia::StopSignal& stop,
             sekoia::Redactor& redactor) {
  sekoia::SystemClock clock;
  sekoia::SeededRandom random(std::random_device{}());
  CheckReport report(std::cout, redactor);
  const sekoia::ConfigSource source(command_line.config_dir);
  LoadedConfig loaded;
  report.Step("configuration", [&] {
    loaded = ReadConfiguration(kind, source, redactor);
    if (!loaded.problem.empty()) throw sekoia::ConfigError(loaded.problem);
    const ClientCredentialsConfig* credentials = kind.credentials(*loaded.trigger);
    return std::string(kind.command) + (credentials ? ", tenant " + credentials->tenant_id : "");
  });
  if (report.failed()) {
    if (kind.uses_token)
      report.Skip({"token", "query", "intake"});
    else
      report.Skip({"query", "intake"});
    return report.ExitCode();
  }
  const TriggerConfig& config = *loaded.trigger;
  const CommonConfig& common = Common(config);
  for (const std::string& warning : common.warnings) report.Warning("configuration", warning);
  sekoia::StreamLogger logger(std::cerr, redactor);
  // The trigger's own HTTP client, from the same configuration.
  sekoia::http::SanitizingTransport network(
      MakeNetwork(kind, loaded.trigger, loaded.module, loaded.proxy), redactor);
  sekoia::http::RetryingTransport retrying(CheckRetryOptions(), network, clock, random, logger);
  const MicrosoftAuth auth = kind.make_auth(config, network, retrying, clock, logger, redactor);
  if (auth.credential) {
    report.Step("token", [&] { return CheckToken(*auth.credential, auth.token_url, stop); });
  }
  sekoia::http::RetryingTransport microsoft(CheckRetryOptions(), *auth.authorized, clock, random,
                                            logger);
  // One record ($top=1): the query checks access, it collects nothing.
  const std::unique_ptr<TraceSource> query_source = kind.make_source(config, microsoft, 1);
  const ServiceEndpoint service = kind.service(config);
  report.Step("query", [&] {
    return CheckQuery(*query_source, service.argument, service.url, clock.Now(), stop);
  });
  report.Step("intake",
              [&] { return CheckIntake(retrying, common.intake_server, common.intake_key, stop); });
  return report.ExitCode();
}

// No core dump, and no ptrace or /proc/<pid>/mem by another process of the same user: the
// memory holds the private key, the client secret, the password and the live tokens.
void ForbidDumps() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const rlimit none{0, 0};
  ::setrlimit(RLIMIT_CORE, &none);
}

}  // namespace

int main(int argc, char** argv) {
  ForbidDumps();
  // One malloc arena, before any thread starts: each page is a few large buffers allocated by up
  // to 5 threads, and with an arena per thread each kept its own share of freed pages (for
  // 100,000 records, a peak of 40 MiB instead of 20, with no measurable CPU difference).
  mallopt(M_ARENA_MAX, 1);  // NOLINT(concurrency-mt-unsafe): no other thread exists yet
  sekoia::StopSignal stop;
  sekoia::Redactor redactor;  // the one place every outgoing line and exception text passes through
  HandleStopSignals(stop);

  CommandLine command_line;
  po::options_description options("options");
  options.add_options()("help,h", "print this help and exit")("version",
                                                              "print the version and exit")(
      "config-dir", po::value(&command_line.config_dir)->value_name("DIR"),
      "where configuration files are read (default /symphony)")(
      "data-dir", po::value(&command_line.data_dir)->value_name("DIR"),
      "where the checkpoint is kept (default /symphony_data)");
  po::options_description hidden;
  hidden.add_options()("command", po::value(&command_line.command))(
      "target", po::value(&command_line.target));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1).add("target", 1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
              values);
    po::notify(values);
  } catch (const po::error& error) {
    std::cerr << "office365-messagetrace: " << error.what() << " (see --help)\n";
    return kUsageError;
  }
  if (values.count("help")) {
    std::cout << Usage(options);
    return 0;
  }
  if (values.count("version")) {
    std::cout << MODULE_SLUG << " " << MODULE_VERSION << "\n";
    return 0;
  }
  if (command_line.command.empty()) {
    std::cerr << "office365-messagetrace: missing command; give one of " << TriggerCommands()
              << " (see --help)\n";
    return kUsageError;
  }
  if (command_line.command == "check") {
    if (const TriggerKind* kind = FindTriggerKind(command_line.target)) {
      try {
        return RunCheck(*kind, command_line, stop, redactor);
      } catch (const std::exception& error) {
        std::cerr << "office365-messagetrace: fatal: " << redactor.Apply(error.what()) << "\n";
        return 1;
      }
    }
    std::cerr << "office365-messagetrace: check "
              << (command_line.target.empty() ? std::string("needs a command")
                                              : "'" + command_line.target + "' is not a command")
              << "; give one of " << TriggerCommands() << " (see --help)\n";
    return kUsageError;
  }
  if (const TriggerKind* kind = FindTriggerKind(command_line.command)) {
    try {
      return RunTrigger(*kind, command_line, stop, redactor);
    } catch (const std::exception& error) {
      std::cerr << "office365-messagetrace: fatal: " << redactor.Apply(error.what()) << "\n";
      return 1;
    }
  }
  std::cerr << "office365-messagetrace: unknown command '" << command_line.command
            << "'; give one of " << TriggerCommands() << " (see --help)\n";
  return kUsageError;
}
