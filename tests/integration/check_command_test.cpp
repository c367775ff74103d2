// `office365-messagetrace check <command>`, the real executable against the simulator: one line
// per step, exit 0 when all pass, 1 at the first failure with the later steps skipped, and never
// a record forwarded nor a secret printed.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "test_certificates.hpp"

namespace integration {
namespace {

constexpr const char* kGraph = "office365_messagetrace_trigger_graph";
constexpr const char* kBasic = "office365_messagetrace_trigger";
constexpr const char* kOAuth = "office365_messagetrace_trigger_oauth";

// The Graph trigger's required arguments only: `check` must work on the defaults of the others.
nlohmann::json RequiredGraphConfiguration(const Simulator& simulator,
                                          const nlohmann::json& overrides = {}) {
  const nlohmann::json defaults = {
      {"frequency", nullptr}, {"timedelta", nullptr}, {"start_time", nullptr}};
  return Override(Override(GraphConfiguration(simulator), defaults), overrides);
}

nlohmann::json ReportingConfiguration(const Simulator& simulator, bool oauth) {
  nlohmann::json configuration = {
      {"intake_server", simulator.url()},
      {"intake_key", kIntakeKey},
      {"reporting_url", simulator.url() + "/ecp/reportingwebservice/reporting.svc/MessageTrace"}};
  if (oauth) {
    configuration.update({{"tenant_id", kTenant},
                          {"client_id", kClient},
                          {"client_secret", kSecret},
                          {"login_url", simulator.url()}});
  } else {
    configuration.update({{"account_name", kAccount}, {"account_password", kPassword}});
  }
  return configuration;
}

struct CheckRun {
  std::optional<int> exit_code;
  std::string out;
  std::string err;
};

// Runs `office365-messagetrace check <command>` with the configuration in a file, as the
// trigger reads it; `environment` as the platform would set it.
CheckRun RunCheck(const fs::path& dir, const std::string& command,
                  const nlohmann::json& configuration,
                  const std::map<std::string, std::string>& environment = {}) {
  const fs::path config_dir = dir / "check-config";
  fs::create_directories(config_dir);
  WriteFile(config_dir / "trigger_configuration", configuration.dump());
  Process process({TRIGGER_BINARY, "check", command, "--config-dir", config_dir.string()},
                  environment, dir / "check.out", dir / "check.err");
  CheckRun run;
  run.exit_code = process.Wait(60s);
  run.out = process.Stdout();
  run.err = process.Stderr();
  ExpectNoSecrets(run.out + run.err, "the check's output");
  return run;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Nothing the check did may reach the intake as a record.
void ExpectNothingForwarded(Simulator& simulator) {
  auto stats = simulator.Stats();
  EXPECT_EQ(stats["received_total"], 0) << stats.dump();
}

TEST(CheckCommand, GraphPassesWithOneOkLinePerStepAndForwardsNothing) {
  auto dir = ScratchDir();
  Simulator simulator(
      dir, SimulatorArgs({"--records", "2000", "--days", "0.5", "--fresh-minutes", "10"}));
  const CheckRun run = RunCheck(dir, kGraph, RequiredGraphConfiguration(simulator));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 4u) << run.out;
  EXPECT_EQ(lines[0], std::string("ok   configuration (") + kGraph + ", tenant " + kTenant + ")");
  EXPECT_EQ(lines[1], "ok   token (127.0.0.1)");
  EXPECT_EQ(lines[2], "ok   query (127.0.0.1: records in the last hour)");
  EXPECT_EQ(lines[3], "ok   intake (127.0.0.1 accepts intake_key; no event was sent)");
  auto stats = simulator.Stats();
  EXPECT_EQ(stats["token_requests"], 1) << stats.dump();
  EXPECT_EQ(stats["graph_requests"], 1) << stats.dump();
  EXPECT_EQ(stats["graph_records_served"], 1) << "the query asks for $top=1: " << stats.dump();
  EXPECT_EQ(stats["intake_requests"], 1) << stats.dump();
  EXPECT_EQ(stats["bad_user_agent"], 0) << stats.dump();
  ExpectNothingForwarded(simulator);
}

TEST(CheckCommand, GraphWithACertificateGetsItsTokenByAClientAssertionAndPrintsNoKey) {
  auto dir = ScratchDir();
  const auto certificate = sekoia::testing::MakeTestCertificate("check-test-only");
  const fs::path pem = dir / "app.pem";
  WriteFile(pem, certificate.certificate_pem);
  Simulator simulator(dir,
                      SimulatorArgs({"--records", "10", "--client-certificate", pem.string()}));
  const CheckRun run = RunCheck(
      dir, kGraph,
      RequiredGraphConfiguration(simulator, {{"client_secret", nullptr},
                                             {"client_certificate", certificate.certificate_pem},
                                             {"client_private_key", certificate.private_key_pem}}));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 4u) << run.out;
  EXPECT_EQ(lines[1], "ok   token (127.0.0.1)");
  EXPECT_EQ(simulator.Stats()["token_client_assertions"], 1);
  for (const std::string& line : Lines(certificate.private_key_pem)) {
    if (line.rfind("-----", 0) == 0) continue;
    EXPECT_EQ((run.out + run.err).find(line), std::string::npos)
        << "a line of the private key was printed";
  }
}

TEST(CheckCommand, LegacyBasicAndOAuthPassWithoutAndWithATokenStep) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--mode", "reporting", "--records", "2000", "--days",
                                          "0.5", "--fresh-minutes", "10"}));
  const CheckRun basic = RunCheck(dir, kBasic, ReportingConfiguration(simulator, false));
  EXPECT_EQ(basic.exit_code, 0) << basic.out << basic.err;
  EXPECT_EQ(
      Lines(basic.out),
      (std::vector<std::string>{std::string("ok   configuration (") + kBasic + ")",
                                "ok   query (127.0.0.1: records in the last hour)",
                                "ok   intake (127.0.0.1 accepts intake_key; no event was sent)"}));
  const CheckRun oauth = RunCheck(dir, kOAuth, ReportingConfiguration(simulator, true));
  EXPECT_EQ(oauth.exit_code, 0) << oauth.out << oauth.err;
  EXPECT_EQ(Lines(oauth.out),
            (std::vector<std::string>{
                std::string("ok   configuration (") + kOAuth + ", tenant " + kTenant + ")",
                "ok   token (127.0.0.1)", "ok   query (127.0.0.1: records in the last hour)",
                "ok   intake (127.0.0.1 accepts intake_key; no event was sent)"}));
  auto stats = simulator.Stats();
  EXPECT_EQ(stats["reporting_requests"], 2) << stats.dump();
  EXPECT_EQ(stats["intake_requests"], 2) << stats.dump();
  ExpectNothingForwarded(simulator);
}

// A full lookback longer than the legacy service's 6-hour window leaves: refused by the loader, so
// `check` says it too (it was found only once the trigger's collector started).
TEST(CheckCommand, ALookbackTooLongForTheApiFailsTheConfigurationStep) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--mode", "reporting", "--records", "10"}));
  nlohmann::json configuration = ReportingConfiguration(simulator, false);
  configuration.update({{"reread_after_minutes", "full"}, {"lookback", 240}, {"frequency", 7201}});
  const CheckRun run = RunCheck(dir, kBasic, configuration);
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(Lines(run.out),
            (std::vector<std::string>{
                "FAIL configuration: lookback: too long for this API; give at most 239 minutes",
                "skip query", "skip intake"}));
  EXPECT_EQ(simulator.Stats()["reporting_requests"], 0);
}

TEST(CheckCommand, BadConfigurationFailsNamingTheArgumentAndSkipsTheRest) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  const CheckRun run =
      RunCheck(dir, kGraph, RequiredGraphConfiguration(simulator, {{"client_secret", nullptr}}));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(Lines(run.out),
            (std::vector<std::string>{
                "FAIL configuration: client_secret: missing; give the client secret's Value, or "
                "client_certificate and client_private_key",
                "skip token", "skip query", "skip intake"}));
  auto stats = simulator.Stats();
  EXPECT_EQ(stats["token_requests"], 0) << stats.dump();
  EXPECT_EQ(stats["intake_requests"], 0) << stats.dump();
}

TEST(CheckCommand, AnUnknownArgumentIsAWarningWithTheNameItIsATypoOf) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  const CheckRun run =
      RunCheck(dir, kGraph, RequiredGraphConfiguration(simulator, {{"frequncy", 30}}));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto lines = Lines(run.out);
  ASSERT_GE(lines.size(), 2u) << run.out;
  EXPECT_EQ(
      lines[1],
      "warn configuration: unknown argument 'frequncy' is ignored; did you mean 'frequency'?");
}

TEST(CheckCommand, WrongClientSecretFailsAtTheTokenWithTheAadstsCodeAndItsFix) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  const CheckRun run = RunCheck(
      dir, kGraph,
      RequiredGraphConfiguration(simulator, {{"client_secret", "SENTINEL-wrong-secret-e19d"}}));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 4u) << run.out;
  EXPECT_EQ(lines[0].rfind("ok   configuration", 0), 0u) << run.out;
  EXPECT_EQ(lines[1].rfind("FAIL token: ", 0), 0u) << run.out;
  EXPECT_NE(lines[1].find("AADSTS7000215"), std::string::npos) << run.out;
  EXPECT_NE(lines[1].find("check client_secret: give the secret's Value, not its Secret ID"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(lines[2], "skip query");
  EXPECT_EQ(lines[3], "skip intake");
  EXPECT_EQ((run.out + run.err).find("SENTINEL-wrong-secret-e19d"), std::string::npos)
      << "the secret was printed";
  auto stats = simulator.Stats();
  EXPECT_EQ(stats["graph_requests"], 0) << stats.dump();
  EXPECT_EQ(stats["intake_requests"], 0) << stats.dump();
}

TEST(CheckCommand, GraphQueryRefusedSaysWhichPermissionOrProvisioningIsMissing) {
  auto dir = ScratchDir();
  {
    Simulator simulator(dir, SimulatorArgs({"--records", "10", "--no-permission"}));
    const CheckRun run = RunCheck(dir, kGraph, RequiredGraphConfiguration(simulator));
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    const auto lines = Lines(run.out);
    ASSERT_EQ(lines.size(), 4u) << run.out;
    EXPECT_EQ(lines[1], "ok   token (127.0.0.1)");
    EXPECT_EQ(lines[2].rfind("FAIL query: ", 0), 0u) << run.out;
    EXPECT_NE(lines[2].find("403"), std::string::npos) << run.out;
    EXPECT_NE(lines[2].find("ExchangeMessageTrace.Read.All"), std::string::npos) << run.out;
    EXPECT_EQ(lines[3], "skip intake");
    EXPECT_EQ(simulator.Stats()["intake_requests"], 0);
  }
  {
    Simulator simulator(dir, SimulatorArgs({"--records", "10", "--unprovisioned"}));
    const CheckRun run = RunCheck(dir, kGraph, RequiredGraphConfiguration(simulator));
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    const auto lines = Lines(run.out);
    ASSERT_EQ(lines.size(), 4u) << run.out;
    EXPECT_EQ(lines[2].rfind("FAIL query: ", 0), 0u) << run.out;
    EXPECT_NE(lines[2].find("New-MgServicePrincipal"), std::string::npos) << run.out;
    EXPECT_EQ(lines[3], "skip intake");
  }
}

TEST(CheckCommand, IntakeRefusingTheKeyFailsTheLastStepAndReceivesNoRecord) {
  auto dir = ScratchDir();
  Simulator simulator(
      dir, SimulatorArgs({"--records", "2000", "--days", "0.5", "--fresh-minutes", "10"}));
  const CheckRun run = RunCheck(
      dir, kGraph,
      RequiredGraphConfiguration(simulator, {{"intake_key", "SENTINEL-wrong-intake-key-77aa"}}));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 4u) << run.out;
  EXPECT_EQ(lines[2], "ok   query (127.0.0.1: records in the last hour)");
  EXPECT_EQ(lines[3],
            "FAIL intake: the intake at 127.0.0.1 refused intake_key (HTTP 401: Invalid intake "
            "key); copy the intake "
            "key from the intake's page in Sekoia.io into intake_key");
  EXPECT_EQ((run.out + run.err).find("SENTINEL-wrong-intake-key-77aa"), std::string::npos);
  EXPECT_EQ(simulator.Stats()["intake_requests"], 1);
  ExpectNothingForwarded(simulator);
}

TEST(CheckCommand, UnreachableIntakeNamesIntakeServer) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  const std::string closed = "http://127.0.0.1:" + std::to_string(FreePort());
  const CheckRun run =
      RunCheck(dir, kGraph, RequiredGraphConfiguration(simulator, {{"intake_server", closed}}));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 4u) << run.out;
  EXPECT_EQ(lines[3].rfind("FAIL intake: intake_server (" + closed + "): ", 0), 0u) << run.out;
}

TEST(CheckCommand, HelpListsTheCheckAndTheEnvironmentTheProgramReads) {
  auto dir = ScratchDir();
  Process process({TRIGGER_BINARY, "--help"}, {}, dir / "help.out", dir / "help.err");
  EXPECT_EQ(process.Wait(10s), 0);
  const std::string help = process.Stdout();
  for (const char* part :
       {"check <command>", "TRIGGER_CONFIGURATION", "CONNECTOR_CONFIGURATION", "TOKEN",
        "URL_CALLBACK", "URL_LOGS", "INTAKE_URL", "LIVENESS_PORT", "METRICS_PORT", "SUB_FOLDER",
        "HTTPS_PROXY", "NO_PROXY", "MODULE_CONFIGURATION"}) {
    EXPECT_NE(help.find(part), std::string::npos) << part << " missing from --help:\n" << help;
  }
}

TEST(CheckCommand, CheckOfAnUnknownCommandIsAUsageError) {
  auto dir = ScratchDir();
  Process process({TRIGGER_BINARY, "check", "office365_nothing"}, {}, dir / "c.out", dir / "c.err");
  EXPECT_EQ(process.Wait(10s), 2);
  EXPECT_NE(process.Stderr().find("'office365_nothing' is not a command"), std::string::npos)
      << process.Stderr();
}

}  // namespace
}  // namespace integration
