// office365-messagetrace <command>: options -> configuration -> wiring -> run.
// The only place that builds concrete objects.
#include <pthread.h>
#include <signal.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <thread>

#include "collector.hpp"
#include "graph_source.hpp"
#include "request_budget.hpp"
#include "sekoia/auth/bearer_auth_transport.hpp"
#include "sekoia/auth/token_provider.hpp"
#include "sekoia/checkpoint_store.hpp"
#include "sekoia/config.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/health.hpp"
#include "sekoia/http/retrying_transport.hpp"
#include "sekoia/intake/intake_batcher.hpp"
#include "sekoia/log.hpp"
#include "sekoia/metrics.hpp"
#include "sekoia/time_format.hpp"
#include "trigger_config.hpp"

namespace {

namespace po = boost::program_options;
using namespace office365;

constexpr const char* kGraphCommand = "office365_messagetrace_trigger_graph";
constexpr int kUsageError = 2;

struct CommandLine {
  std::string command;
  std::string config_dir = "/symphony";
  std::string data_dir = "/symphony_data";
};

std::string Usage(const po::options_description& options) {
  std::ostringstream out;
  out << "usage: office365-messagetrace <command> [--config-dir DIR] [--data-dir DIR]\n\n"
      << "commands:\n"
      << "  " << kGraphCommand << "   Microsoft Graph messageTraces\n\n"
      << options;
  return out.str();
}

// Blocks SIGTERM and SIGINT in every thread (call before any thread starts) and turns them into
// a stop request on a dedicated thread.
void HandleStopSignals(sekoia::StopSignal& stop) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals, &stop]() noexcept {
    int received = 0;
    sigwait(&signals, &received);
    stop.Request();
  }).detach();
}

int RunGraphTrigger(const CommandLine& command_line, sekoia::StopSignal& stop) {
  sekoia::SystemClock clock;
  sekoia::SeededRandom random(std::random_device{}());
  sekoia::Redactor redactor;
  sekoia::http::InitializeHttpThreads(4);
  auto network = sekoia::http::MakeCpprestTransport(
      {std::chrono::seconds(120), std::string("sekoiaio-connector/") + MODULE_SLUG + "-" + MODULE_VERSION});

  sekoia::ConfigSource source(command_line.config_dir);
  sekoia::ModuleConfig module;
  std::string config_problem;
  try {
    module = sekoia::LoadModuleConfig(source);
  } catch (const sekoia::ConfigError& error) {
    config_problem = error.what();
  }
  redactor.Add(module.token);
  sekoia::PlatformLoggerOptions log_options;
  log_options.url_logs = module.url_logs;
  log_options.token = module.token;
  sekoia::PlatformLogger logger(log_options, *network, clock, redactor, std::cerr);

  GraphTriggerConfig config;
  try {
    if (!config_problem.empty()) throw sekoia::ConfigError(config_problem);
    sekoia::Arguments arguments(sekoia::LoadTriggerArguments(source));
    // Known secrets are masked before anything can print them, even in a configuration error.
    for (const char* secret : {"client_secret", "intake_key"}) {
      if (arguments.Has(secret)) try { redactor.Add(arguments.RequiredString(secret)); } catch (...) {}
    }
    config = LoadGraphTriggerConfig(arguments, module.intake_url);
  } catch (const sekoia::ConfigError& error) {
    logger.Critical(std::string("Configuration error: ") + error.what());
    logger.Shutdown();
    return kUsageError;
  }

  sekoia::Metrics metrics(config.common.intake_key);
  sekoia::HealthState health(sekoia::HealthOptions{}, clock.Now());
  std::unique_ptr<sekoia::HealthServer> health_server;
  try {
    health_server = sekoia::StartHealthServer(module.liveness_port, module.metrics_port, health, metrics, clock);
  } catch (const std::exception& error) {
    logger.Error(std::string("health and metrics are not served: ") + error.what());
  }

  sekoia::http::RetryOptions retry;
  sekoia::http::RetryingTransport login(retry, *network, clock, random, logger);
  sekoia::auth::ClientSecretCredential credential(
      {config.credentials.login_url + "/" + config.credentials.tenant_id + "/oauth2/v2.0/token",
       config.credentials.client_id, config.credentials.client_secret, "https://graph.microsoft.com/.default"},
      login, clock);
  PacedTransport paced(RequestBudgetOptions{}, *network, clock, logger);
  sekoia::auth::BearerAuthTransport authorized(paced, credential);
  sekoia::http::RetryingTransport graph_transport(retry, authorized, clock, random, logger);
  GraphSource graph(config.graph, graph_transport);

  sekoia::intake::IntakeOptions intake_options;
  intake_options.intake_url = config.common.intake_server;
  intake_options.intake_key = config.common.intake_key;
  intake_options.chunk_size = config.common.chunk_size;
  sekoia::intake::IntakeBatcher intake(intake_options, *network, clock, random, logger, metrics, health);

  sekoia::FileCheckpointStore checkpoints(std::filesystem::path(command_line.data_dir) / "context.json");
  logger.Info("starting the Microsoft Graph message trace trigger " + std::string(MODULE_VERSION) + " for tenant " +
              config.credentials.tenant_id);
  Collector collector(config.common.collector, graph, intake, checkpoints, clock, logger, metrics, health);
  collector.Run(stop);
  logger.Info("stopped; the checkpoint is at " + sekoia::FormatIso8601(collector.cursor().next_start));
  if (health_server) health_server->Stop();
  logger.Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  sekoia::StopSignal stop;
  HandleStopSignals(stop);

  CommandLine command_line;
  po::options_description options("options");
  options.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("config-dir", po::value(&command_line.config_dir)->value_name("DIR"),
       "where configuration files are read (default /symphony)")
      ("data-dir", po::value(&command_line.data_dir)->value_name("DIR"),
       "where the checkpoint is kept (default /symphony_data)");
  po::options_description hidden;
  hidden.add_options()("command", po::value(&command_line.command));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), values);
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
    std::cerr << "office365-messagetrace: missing command; give " << kGraphCommand << " (see --help)\n";
    return kUsageError;
  }
  try {
    if (command_line.command == kGraphCommand) return RunGraphTrigger(command_line, stop);
  } catch (const std::exception& error) {
    std::cerr << "office365-messagetrace: fatal: " << error.what() << "\n";
    return 1;
  }
  std::cerr << "office365-messagetrace: unknown command '" << command_line.command << "'; give " << kGraphCommand
            << " (see --help)\n";
  return kUsageError;
}
