// message-trace-simulator: options -> tenant -> simulator -> HTTP server, until SIGTERM/SIGINT.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/program_options.hpp>

#include "http_server.hpp"
#include "simulator.hpp"
#include "tenant.hpp"
#include "time_text.hpp"

namespace po = boost::program_options;

namespace {

struct CommandLine {
  int port = 0;
  std::string port_file;
  double days = 3;
  double fresh_minutes = 0;
  double future_minutes = 0;
  std::string reference_time;
  mtsim::TenantOptions tenant;
  mtsim::SimulatorOptions simulator;
};

// Boost's exception when a value is refused: reported like its own option errors.
[[noreturn]] void Invalid(const std::string& option, const std::string& why) {
  throw po::error("option '--" + option + "': " + why);
}

void CheckRate(const po::variables_map& vm, const char* option) {
  const double rate = vm[option].as<double>();
  if (!(rate >= 0 && rate <= 1)) Invalid(option, "must be within [0, 1]");
}

// Returns nullopt after printing --help.
std::optional<CommandLine> ParseCommandLine(int argc, char** argv) {
  CommandLine cl;
  mtsim::SimulatorOptions& sim = cl.simulator;
  mtsim::FaultOptions& faults = sim.faults;
  std::string mode = "graph", shape = "verbose", next_link = "yes";
  long long token_ttl = 3599;
  long long token_valid = 0;
  long long max_intake_body = 10 * 1024 * 1024;
  double intake_latency = 0;
  double throttle_window = 300;
  long long seed = 1;
  long long records = 10000;
  std::string certificate_file;
  long long reporting_processing = 0;

  po::options_description general("General");
  general.add_options()("help,h", "show this help")("port", po::value(&cl.port)->default_value(0),
                                                    "TCP port on 127.0.0.1 (0: ephemeral)")(
      "port-file", po::value(&cl.port_file), "write the port to this file once listening")(
      "records", po::value(&records)->default_value(10000), "records in the simulated tenant")(
      "days", po::value(&cl.days)->default_value(3), "records spread over the last D days")(
      "fresh-minutes", po::value(&cl.fresh_minutes)->default_value(0),
      "newest record this many minutes before start-up")("seed", po::value(&seed)->default_value(1),
                                                         "seed of record generation and faults")(
      "mode", po::value(&mode)->default_value("graph"),
      "graph|reporting: which API serves the records")(
      "reporting-shape", po::value(&shape)->default_value("verbose"), "verbose|light")(
      "reporting-page", po::value(&sim.reporting_page)->default_value(2000),
      "rows per Reporting page")(
      "reporting-next-link", po::value(&next_link)->default_value("yes"),
      "yes|no: no = pages carry no next link, clients use $skiptoken=<offset>");

  po::options_description late("Late publication (records appear, and change status, late)");
  late.add_options()(
      "late-publication", po::bool_switch(&cl.tenant.late_publication),
      "each record becomes visible a delay after its receivedDateTime: 80% within 1-5 min, "
      "15% 5-30 min, 5% 30-60 min (drawn from --seed)")(
      "delay-scale", po::value(&cl.tenant.delay_scale)->default_value(1),
      "multiplies every delay (e.g. 0.05: a 60-minute delay takes 3 minutes)")(
      "status-change-rate", po::value(&cl.tenant.status_change_rate)->default_value(0.2, "0.2"),
      "share of records first published as pending, changing to their final status a second "
      "delay later")(
      "future-minutes", po::value(&cl.future_minutes)->default_value(0),
      "also records up to M minutes after start-up, visible once their time (and delay) passed")(
      "reference-time", po::value(&cl.reference_time)->value_name("ISO"),
      "the start-up time records are placed from (default: now); simulators started together "
      "with the same seed and reference time hold the same tenant to the microsecond");

  po::options_description identity("Identities and credentials");
  identity.add_options()("tenant-id", po::value(&sim.tenant_id)->default_value(sim.tenant_id), "")(
      "client-id", po::value(&sim.client_id)->default_value(sim.client_id), "")(
      "client-secret", po::value(&sim.client_secret)->default_value(sim.client_secret), "")(
      "intake-key", po::value(&sim.intake_key)->default_value(sim.intake_key), "")(
      "platform-token", po::value(&sim.platform_token)->default_value(sim.platform_token), "")(
      "account-name", po::value(&sim.account_name)->default_value(sim.account_name), "")(
      "account-password", po::value(&sim.account_password)->default_value(sim.account_password),
      "")("client-certificate", po::value(&certificate_file)->value_name("FILE"),
          "PEM certificate registered for the application: client assertions signed with its key "
          "are accepted")("token-ttl", po::value(&token_ttl)->default_value(3599),
                          "access token lifetime, seconds")(
      "token-valid", po::value(&token_valid)->default_value(0),
      "tokens are refused this many seconds after issue although expires_in announces "
      "--token-ttl (early expiry); 0: they live --token-ttl");

  po::options_description behaviour("Microsoft's behaviour");
  behaviour.add_options()(
      "throttle", po::value(&sim.throttle_limit)->default_value(100),
      "message-trace requests allowed per rolling window (Graph and Reporting together)")(
      "throttle-window", po::value(&throttle_window)->default_value(300),
      "rolling window, seconds")(
      "unprovisioned", po::bool_switch(&sim.unprovisioned),
      "Graph: app 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 not provisioned (401)")(
      "no-permission", po::bool_switch(&sim.no_permission),
      "Graph: ExchangeMessageTrace.Read.All missing (403)")(
      "basic-retired", po::bool_switch(&sim.basic_retired), "Reporting: Basic auth gets 401")(
      "next-link-base", po::value(&sim.next_link_base)->value_name("URL"),
      "next links name this origin instead of the simulator's (a hostile service)")(
      "reporting-processing", po::value(&reporting_processing)->default_value(0),
      "Reporting: each row's last processing step is this many seconds after its Received, and "
      "StartDate/EndDate select by it (rows received before a window come back in it)");

  po::options_description fault("Fault injection (rates in [0, 1] per eligible request)");
  fault.add_options()("fault-500", po::value(&faults.http_500)->default_value(0),
                      "message trace: 500")(
      "fault-503", po::value(&faults.http_503)->default_value(0), "message trace: 503")(
      "fault-429-seconds", po::value(&faults.http_429_seconds)->default_value(0),
      "message trace: 429, Retry-After in seconds")(
      "fault-429-date", po::value(&faults.http_429_date)->default_value(0),
      "message trace: 429, Retry-After as an HTTP date")(
      "fault-retry-after", po::value(&faults.retry_after_seconds)->default_value(1),
      "seconds announced by injected 429s")(
      "fault-loop", po::value(&faults.loop)->default_value(0),
      "Graph: a third or later page links back to the second page")(
      "fault-index-gap", po::value(&faults.index_gap)->default_value(0),
      "Reporting: a page leaves one row out (a gap in Index)")(
      "fault-close", po::value(&faults.close)->default_value(0),
      "message trace: connection closed mid-body")("fault-bad-json",
                                                   po::value(&faults.bad_json)->default_value(0),
                                                   "message trace: 200 with truncated JSON")(
      "fault-401", po::value(&faults.revoke_401)->default_value(0),
      "message trace next page (Bearer): 401, token revoked")(
      "fault-slow", po::value(&faults.slow_seconds)->default_value(0),
      "message trace: delay in seconds of slow replies")(
      "fault-slow-rate", po::value(&faults.slow_rate)->default_value(0),
      "message trace: share of slow replies")(
      "fault-token", po::value(&faults.token_503)->default_value(0), "token endpoint: 503")(
      "fault-intake-503", po::value(&faults.intake_503)->default_value(0),
      "intake: start of a burst of 503s")("fault-intake-burst",
                                          po::value(&faults.intake_503_burst)->default_value(1),
                                          "intake: 503s in a row per burst")(
      "intake-max-body", po::value(&max_intake_body)->default_value(max_intake_body),
      "intake: larger batch bodies (bytes) get 413")(
      "intake-latency", po::value(&intake_latency)->default_value(0),
      "intake: every answer sent this many seconds late (not a fault: a real intake's pace)")(
      "fault-logs", po::value(&faults.logs_503)->default_value(0), "platform logs: 503")(
      "intake-outage-at", po::value(&faults.intake_outage_at)->default_value(-1),
      "intake answers 503 from this many seconds after start (negative: never)")(
      "intake-outage-for", po::value(&faults.intake_outage_for)->default_value(0),
      "... for this many seconds")(
      "invalid-utf8-records", po::value(&cl.tenant.invalid_utf8_records)->default_value(0),
      "N records, spread evenly, whose subject holds invalid UTF-8; the intake answers 400 to a "
      "batch that is not valid UTF-8 (Graph: the record repaired with U+FFFD counts as received)")(
      "intake-rejects", po::value(&cl.tenant.rejected_records)->default_value(0),
      "N records, spread evenly, that the intake refuses: it answers 400 to any batch holding one");

  po::options_description all(
      "message-trace-simulator [options]\n"
      "Fake Microsoft 365 message trace APIs and Sekoia.io intake on "
      "127.0.0.1");
  all.add(general).add(late).add(identity).add(behaviour).add(fault);
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, all), vm);
  if (vm.count("help")) {
    std::cout << all << std::endl;
    return std::nullopt;
  }
  po::notify(vm);

  if (cl.port < 0 || cl.port > 65535) Invalid("port", "must be within [0, 65535]");
  if (records < 0 || records > 50000000) Invalid("records", "must be within [0, 50000000]");
  if (!(cl.days > 0 && cl.days <= 3650)) Invalid("days", "must be within (0, 3650]");
  if (!(cl.fresh_minutes >= 0) || cl.fresh_minutes >= cl.days * 1440) {
    Invalid("fresh-minutes", "must be >= 0 and shorter than --days");
  }
  if (!(cl.future_minutes >= 0 && cl.future_minutes <= 1440)) {
    Invalid("future-minutes", "must be within [0, 1440]");
  }
  if (cl.future_minutes > 0 && cl.fresh_minutes > 0) {
    Invalid("future-minutes", "cannot be combined with --fresh-minutes");
  }
  if (!(cl.tenant.delay_scale > 0 && cl.tenant.delay_scale <= 100)) {
    Invalid("delay-scale", "must be within (0, 100]");
  }
  if (!(cl.tenant.status_change_rate >= 0 && cl.tenant.status_change_rate <= 1)) {
    Invalid("status-change-rate", "must be within [0, 1]");
  }
  if (!cl.tenant.late_publication) {
    for (const char* option : {"delay-scale", "status-change-rate"}) {
      if (!vm[option].defaulted()) Invalid(option, "needs --late-publication");
    }
  }
  if (!cl.reference_time.empty()) {
    const auto reference = mtsim::ParseIsoTime(cl.reference_time);
    if (!reference || std::llabs(*reference - mtsim::NowMicros()) > mtsim::kMicrosPerDay) {
      Invalid("reference-time", "must be an ISO 8601 time within a day of now");
    }
  }
  if (mode != "graph" && mode != "reporting") Invalid("mode", "must be graph or reporting");
  if (shape != "verbose" && shape != "light")
    Invalid("reporting-shape", "must be verbose or light");
  if (next_link != "yes" && next_link != "no") Invalid("reporting-next-link", "must be yes or no");
  if (sim.reporting_page < 1 || sim.reporting_page > 100000) {
    Invalid("reporting-page", "must be within [1, 100000]");
  }
  if (token_ttl < 1) Invalid("token-ttl", "must be at least 1 second");
  if (token_valid < 0) Invalid("token-valid", "must be >= 0");
  if (faults.intake_503_burst < 1 || faults.intake_503_burst > 1000000) {
    Invalid("fault-intake-burst", "must be within [1, 1000000]");
  }
  if (!(intake_latency >= 0 && intake_latency <= 60))
    Invalid("intake-latency", "must be within [0, 60]");
  if (max_intake_body < 1024 || max_intake_body > (1LL << 30)) {
    Invalid("intake-max-body", "must be within [1024, 1073741824]");
  }
  if (cl.tenant.invalid_utf8_records + cl.tenant.rejected_records >
      static_cast<std::size_t>(records) / 2) {
    Invalid("invalid-utf8-records", "with --intake-rejects, at most half of --records");
  }
  sim.intake_rejects = cl.tenant.rejected_records > 0;
  if (sim.throttle_limit < 1) Invalid("throttle", "must be at least 1");
  if (!(throttle_window > 0)) Invalid("throttle-window", "must be positive");
  for (const char* rate :
       {"fault-500", "fault-503", "fault-429-seconds", "fault-429-date", "fault-close",
        "fault-bad-json", "fault-401", "fault-slow-rate", "fault-token", "fault-intake-503",
        "fault-logs", "fault-loop", "fault-index-gap"}) {
    CheckRate(vm, rate);
  }
  if (faults.http_500 + faults.http_503 + faults.http_429_seconds + faults.http_429_date +
          faults.close + faults.bad_json + faults.revoke_401 >
      1) {
    Invalid("fault-500", "the message-trace fault rates add up to more than 1");
  }
  if (!(faults.slow_seconds >= 0)) Invalid("fault-slow", "must be >= 0");
  if (!(faults.retry_after_seconds >= 0)) Invalid("fault-retry-after", "must be >= 0");
  if (!(faults.intake_outage_for >= 0)) Invalid("intake-outage-for", "must be >= 0");
  if (reporting_processing < 0 || reporting_processing > 86400) {
    Invalid("reporting-processing", "must be within [0, 86400]");
  }
  sim.reporting_processing = std::chrono::seconds(reporting_processing);

  if (!certificate_file.empty()) {
    std::ifstream in(certificate_file, std::ios::binary);
    if (!in) Invalid("client-certificate", "cannot read " + certificate_file);
    sim.client_certificate_pem.assign(std::istreambuf_iterator<char>(in),
                                      std::istreambuf_iterator<char>());
    if (sim.client_certificate_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      Invalid("client-certificate", certificate_file + " holds no PEM certificate");
    }
  }
  sim.token_ttl = std::chrono::seconds(token_ttl);
  sim.token_valid = std::chrono::seconds(token_valid);
  sim.max_intake_body = static_cast<std::size_t>(max_intake_body);
  sim.intake_latency = std::chrono::milliseconds(static_cast<long long>(intake_latency * 1000));
  sim.throttle_window = std::chrono::microseconds(static_cast<long long>(throttle_window * 1e6));
  sim.reporting_next_link = next_link == "yes";
  sim.seed = static_cast<std::uint64_t>(seed);
  cl.tenant.records = static_cast<std::size_t>(records);
  cl.tenant.seed = static_cast<std::uint64_t>(seed);
  cl.tenant.api = mode == "graph" ? mtsim::TraceApi::kGraph : mtsim::TraceApi::kReporting;
  cl.tenant.reporting_shape =
      shape == "verbose" ? mtsim::ReportingShape::kVerbose : mtsim::ReportingShape::kLight;
  const std::string& account = sim.account_name;
  const size_t at = account.find('@');
  if (at != std::string::npos && at + 1 < account.size()) {
    cl.tenant.organization = account.substr(at + 1);
  }
  return cl;
}

void WritePortFile(const std::string& path, int port) {
  // Readers poll for the file: write it whole under a temporary name, then rename.
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + temporary + " to " + path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals before any thread exists, so every thread inherits the mask and
  // the main thread alone takes them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  CommandLine cl;
  try {
    auto parsed = ParseCommandLine(argc, argv);
    if (!parsed) return 0;
    cl = std::move(*parsed);
  } catch (const po::error& e) {
    std::cerr << "message-trace-simulator: " << e.what() << " (see --help)" << std::endl;
    return 2;
  }

  try {
    const auto generation_start = std::chrono::steady_clock::now();
    const mtsim::Micros now =
        cl.reference_time.empty() ? mtsim::NowMicros() : *mtsim::ParseIsoTime(cl.reference_time);
    cl.tenant.newest = now - static_cast<mtsim::Micros>(cl.fresh_minutes * 60e6) +
                       static_cast<mtsim::Micros>(cl.future_minutes * 60e6);
    cl.tenant.future_records = cl.future_minutes > 0;
    cl.tenant.oldest = now - static_cast<mtsim::Micros>(cl.days * 86400e6);
    mtsim::Tenant tenant(cl.tenant);
    const double generation_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - generation_start).count();
    std::cerr << "message-trace-simulator: " << tenant.size() << " "
              << (tenant.api() == mtsim::TraceApi::kGraph ? "Graph" : "Reporting") << " records ("
              << tenant.serialized_bytes() / (1024 * 1024) << " MiB) generated in "
              << generation_seconds << " s" << (tenant.late_publication() ? ", published late" : "")
              << std::endl;

    // Bound first (port 0: the kernel picks one), so the simulator knows its own URL for the
    // next links it writes; clients queue in the backlog until Open.
    std::unique_ptr<mtsim::Simulator> simulator;
    mtsim::HttpServer server(
        "http://127.0.0.1:" + std::to_string(cl.port),
        [&simulator](const mtsim::Request& r) { return simulator->Handle(r); },
        cl.simulator.max_intake_body);
    const int port = server.Bind();
    simulator = std::make_unique<mtsim::Simulator>(cl.simulator, tenant,
                                                   "http://127.0.0.1:" + std::to_string(port));
    server.Open();

    std::cout << "listening on http://127.0.0.1:" << port << std::endl;
    if (!cl.port_file.empty()) WritePortFile(cl.port_file, port);

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    std::cerr << "message-trace-simulator: signal " << signal_number << ", stopping" << std::endl;
    server.Close();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "message-trace-simulator: " << e.what() << std::endl;
    return 1;
  }
}
