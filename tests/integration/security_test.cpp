// Certificate credentials end to end, and the secret-leak sweep: every trigger through its error
// paths with sentinel secrets, then every output searched for them.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "test_certificates.hpp"

namespace integration {
namespace {

constexpr const char* kGraph = "office365_messagetrace_trigger_graph";
constexpr const char* kBasic = "office365_messagetrace_trigger";
constexpr const char* kOAuth = "office365_messagetrace_trigger_oauth";
constexpr const char* kKeySentinel = "SENTINEL-private-key-0b7e";
// The fixed header of every access token the simulator issues: a token that leaks shows it.
constexpr const char* kAccessTokenHeader = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6InNpbXVsYXRvciJ9";
// base64url of `{"alg":"PS256","typ":"JWT","x5t#S256":"`: the start of every client assertion.
constexpr const char* kAssertionHeader = "eyJhbGciOiJQUzI1NiIsInR5cCI6IkpXVCIsIng1dCNTMjU2Ijoi";

const sekoia::testing::TestCertificate& Certificate() {
  static const auto certificate = sekoia::testing::MakeTestCertificate("trigger-test-only");
  return certificate;
}

const sekoia::testing::TestCertificate& OtherCertificate() {
  static const auto certificate = sekoia::testing::MakeTestCertificate("another-app-test-only");
  return certificate;
}

const sekoia::testing::TestCertificate& ExpiredCertificate() {
  static const auto certificate = sekoia::testing::MakeTestCertificate("expired-test-only", -7200, -3600);
  return certificate;
}

/** Every secret a trigger may hold, as the test's sentinels. */
std::vector<std::string> Sentinels() {
  std::vector<std::string> all = {kSecret, kPassword, kIntakeKey, kPlatformToken, kKeySentinel, kAccessTokenHeader,
                                  kAssertionHeader};
  for (const auto* pair : {&Certificate(), &OtherCertificate(), &ExpiredCertificate()}) {
    std::istringstream lines(pair->private_key_pem);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("-----", 0) != 0) all.push_back(line);
    }
  }
  return all;
}

void ExpectNoSentinel(const std::string& text, const std::string& where) {
  for (const std::string& sentinel : Sentinels()) {
    EXPECT_EQ(text.find(sentinel), std::string::npos) << "'" << sentinel << "' appears in " << where << ":\n" << text;
  }
}

fs::path WritePem(const fs::path& dir, const std::string& name, const std::string& pem) {
  WriteFile(dir / name, pem);
  return dir / name;
}

nlohmann::json Graph(const Simulator& simulator, const nlohmann::json& overrides = {}) {
  return Override({{"tenant_id", kTenant}, {"client_id", kClient}, {"client_secret", kSecret},
                   {"intake_key", kIntakeKey}, {"intake_server", simulator.url()}, {"graph_url", simulator.url()},
                   {"login_url", simulator.url()}, {"start_time", 1}},
                  overrides);
}

nlohmann::json Basic(const Simulator& simulator, const nlohmann::json& overrides = {}) {
  return Override({{"account_name", kAccount}, {"account_password", kPassword}, {"intake_key", kIntakeKey},
                   {"intake_server", simulator.url()},
                   {"reporting_url", simulator.url() + "/ecp/reportingwebservice/reporting.svc/MessageTrace"}},
                  overrides);
}

nlohmann::json OAuth(const Simulator& simulator, const nlohmann::json& overrides = {}) {
  return Override(Basic(simulator, {{"account_name", nullptr}, {"account_password", nullptr}, {"tenant_id", kTenant},
                                    {"client_id", kClient}, {"client_secret", kSecret}, {"login_url", simulator.url()}}),
                  overrides);
}

nlohmann::json CertificateArguments(const sekoia::testing::TestCertificate& pair) {
  return {{"client_secret", nullptr}, {"client_certificate", pair.certificate_pem},
          {"client_private_key", pair.private_key_pem}};
}

TEST(CertificateCredential, GoodKeyCollectsEverything) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "3000", "--days", "0.45", "--client-certificate",
                                          WritePem(dir, "app.pem", Certificate().certificate_pem).string()}));
  Trigger trigger(dir, simulator, kGraph, Graph(simulator, Override(CertificateArguments(Certificate()),
                                                                    {{"start_time", 12}, {"page_size", 1000}})));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(90s)) << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_GT(stats["expected"].get<int>(), 2000);
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_GE(stats["token_client_assertions"].get<int>(), 1) << stats.dump();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  ExpectNoSentinel(trigger.AllOutput(), "the trigger's output");
  ExpectNoSentinel(simulator.Logs().dump(), "the platform logs");
}

TEST(CertificateCredential, LegacyOAuthTriggerAuthenticatesWithACertificateToo) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--mode", "reporting", "--records", "500", "--days", "0.05",
                                          "--client-certificate",
                                          WritePem(dir, "app.pem", Certificate().certificate_pem).string()}));
  Trigger trigger(dir, simulator, kOAuth, OAuth(simulator, Override(CertificateArguments(Certificate()), {{"start_time", 2}})));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(90s)) << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_GT(stats["received_total"].get<int>(), 0) << stats.dump();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
}

TEST(CertificateCredential, WrongKeyIsRefusedAndExplained) {
  auto dir = ScratchDir();
  // The application's registered certificate is another one than the trigger signs with.
  Simulator simulator(dir, SimulatorArgs({"--records", "10", "--client-certificate",
                                          WritePem(dir, "app.pem", OtherCertificate().certificate_pem).string()}));
  Trigger trigger(dir, simulator, kGraph, Graph(simulator, CertificateArguments(Certificate())));
  trigger.Start();
  ASSERT_TRUE(WaitUntil([&] { return trigger.process().Stderr().find("AADSTS700027") != std::string::npos; }, 30s))
      << trigger.process().Stderr();
  const std::string err = trigger.process().Stderr();
  EXPECT_NE(err.find("The key was not found"), std::string::npos) << err;
  EXPECT_NE(err.find("check the certificate uploaded for the application"), std::string::npos) << err;
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_EQ(simulator.Stats()["received_total"], 0);
}

TEST(CertificateCredential, ExpiredCertificateIsWarnedAboutAndRefused) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10", "--client-certificate",
                                          WritePem(dir, "app.pem", ExpiredCertificate().certificate_pem).string()}));
  Trigger trigger(dir, simulator, kGraph, Graph(simulator, CertificateArguments(ExpiredCertificate())));
  trigger.Start();
  ASSERT_TRUE(WaitUntil([&] { return trigger.process().Stderr().find("AADSTS700027") != std::string::npos; }, 30s))
      << trigger.process().Stderr();
  const std::string err = trigger.process().Stderr();
  EXPECT_NE(err.find("The key used is expired"), std::string::npos) << err;
  EXPECT_NE(err.find("client_certificate expired on "), std::string::npos) << err;
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
}

// One error path of one trigger.
struct LeakCase {
  const char* name;
  const char* command;
  std::function<nlohmann::json(const Simulator&)> configuration;
  std::vector<std::string> simulator_args;  ///< option, value pairs ("" for a switch) besides the sentinels
  const char* marker;                       ///< in stderr once the path was taken
  int exit_code;                            ///< 2: configuration error; 0: stopped by SIGTERM
};

// Stands for the registered certificate's file, written in the test's scratch directory.
constexpr const char* kCertificateFile = "{certificate-file}";

std::vector<LeakCase> LeakCases() {
  const std::string broken_key =
      std::string("-----BEGIN PRIVATE KEY-----\n") + kKeySentinel + "\n-----END PRIVATE KEY-----\n";
  return {
      {"GraphBadSecret", kGraph, [](const Simulator& s) { return Graph(s); }, {"--client-secret", "another-secret"},
       "AADSTS7000215", 0},
      {"GraphUnprovisioned", kGraph, [](const Simulator& s) { return Graph(s); }, {"--unprovisioned", ""},
       "New-MgServicePrincipal", 0},
      {"GraphForbidden", kGraph, [](const Simulator& s) { return Graph(s); }, {"--no-permission", ""},
       "ExchangeMessageTrace.Read.All", 0},
      {"GraphIntakeKeyRefused", kGraph, [](const Simulator& s) { return Graph(s); }, {"--intake-key", "another-key"},
       "the intake refused the events", 0},
      {"GraphTokenRevoked", kGraph, [](const Simulator& s) { return Graph(s, {{"page_size", 10}}); },
       {"--fault-401", "0.5"}, "done: ", 0},
      {"GraphConfigurationError", kGraph, [](const Simulator& s) { return Graph(s, {{"page_size", 0}}); }, {},
       "Configuration error: page_size", 2},
      {"GraphBrokenPrivateKey", kGraph,
       [broken_key](const Simulator& s) {
         return Graph(s, {{"client_secret", nullptr}, {"client_certificate", Certificate().certificate_pem},
                          {"client_private_key", broken_key}});
       },
       {}, "Configuration error: client_private_key", 2},
      {"GraphSecretAndCertificate", kGraph,
       [](const Simulator& s) { return Graph(s, Override(CertificateArguments(Certificate()), {{"client_secret", kSecret}})); },
       {}, "Configuration error: client_secret", 2},
      {"GraphWrongCertificate", kGraph,
       [](const Simulator& s) { return Graph(s, CertificateArguments(OtherCertificate())); },
       {"--client-certificate", kCertificateFile}, "AADSTS700027", 0},
      {"GraphBadCaBundle", kGraph,
       [](const Simulator& s) { return Graph(s, {{"ca_bundle", std::string("not a bundle ") + kSecret}}); }, {},
       "Configuration error: ca_bundle", 2},
      {"BasicBadPassword", kBasic, [](const Simulator& s) { return Basic(s); },
       {"--mode", "reporting", "--account-password", "another-password"}, "HTTP 401", 0},
      {"BasicRetired", kBasic, [](const Simulator& s) { return Basic(s); }, {"--mode", "reporting", "--basic-retired", ""},
       "AllowBasicAuthReportingWebServices", 0},
      {"BasicConfigurationError", kBasic, [](const Simulator& s) { return Basic(s, {{"account_name", nullptr}}); }, {},
       "Configuration error: account_name", 2},
      {"OAuthBadSecret", kOAuth, [](const Simulator& s) { return OAuth(s); },
       {"--mode", "reporting", "--client-secret", "another-secret"}, "AADSTS7000215", 0},
      {"OAuthIntakeKeyRefused", kOAuth, [](const Simulator& s) { return OAuth(s); },
       {"--mode", "reporting", "--intake-key", "another-key"}, "the intake refused the events", 0},
      {"OAuthWrongCertificate", kOAuth,
       [](const Simulator& s) { return OAuth(s, CertificateArguments(OtherCertificate())); },
       {"--mode", "reporting", "--client-certificate", kCertificateFile}, "AADSTS700027", 0},
      {"OAuthBrokenPrivateKey", kOAuth,
       [broken_key](const Simulator& s) {
         return OAuth(s, {{"client_secret", nullptr}, {"client_certificate", Certificate().certificate_pem},
                          {"client_private_key", broken_key}});
       },
       {}, "Configuration error: client_private_key", 2},
  };
}

void PrintTo(const LeakCase& c, std::ostream* out) { *out << c.name; }

class SecretLeak : public ::testing::TestWithParam<LeakCase> {};

TEST_P(SecretLeak, NoOutputHoldsASecret) {
  const LeakCase& c = GetParam();
  auto dir = ScratchDir();
  // The simulator expects the sentinel credentials unless the case names another value.
  std::vector<std::string> all = SimulatorArgs({"--records", "200", "--days", "0.05"});
  for (std::size_t i = 0; i + 1 < c.simulator_args.size(); i += 2) {
    if (c.simulator_args[i + 1] == kCertificateFile) {
      all.push_back(c.simulator_args[i]);
      all.push_back(WritePem(dir, "app.pem", Certificate().certificate_pem).string());
      continue;
    }
    auto known = std::find(all.begin(), all.end(), c.simulator_args[i]);
    if (known != all.end()) {
      *(known + 1) = c.simulator_args[i + 1];
    } else {
      all.push_back(c.simulator_args[i]);
      if (!c.simulator_args[i + 1].empty()) all.push_back(c.simulator_args[i + 1]);
    }
  }
  Simulator simulator(dir, all);
  Trigger trigger(dir, simulator, c.command, c.configuration(simulator));
  trigger.Start();
  Client client;
  std::string health, metrics;
  if (c.exit_code == 2) {
    EXPECT_EQ(trigger.process().Wait(15s), 2) << trigger.process().Stderr();
  } else {
    EXPECT_TRUE(WaitUntil([&] { return trigger.process().Stderr().find(c.marker) != std::string::npos; }, 60s))
        << trigger.process().Stderr();
    health = client.Get(trigger.Health()).body;
    metrics = client.Get(trigger.Metrics()).body;
    EXPECT_FALSE(metrics.empty());
    trigger.process().Signal(SIGTERM);
    EXPECT_EQ(trigger.process().Wait(15s), 0);
  }
  EXPECT_NE(trigger.process().Stderr().find(c.marker), std::string::npos) << trigger.process().Stderr();
  // Errors reach the platform at once; give its logs a moment to arrive.
  WaitUntil([&] { return simulator.Logs().dump().find(c.marker) != std::string::npos; }, 5s);
  const std::string platform_logs = simulator.Logs().dump();
  EXPECT_NE(platform_logs.find(c.marker), std::string::npos) << platform_logs;

  ExpectNoSentinel(trigger.AllOutput(), "the trigger's stdout, stderr or context.json");
  for (const auto& entry : fs::recursive_directory_iterator(trigger.data_dir())) {
    if (entry.is_regular_file()) ExpectNoSentinel(ReadFile(entry.path()), entry.path().string());
  }
  ExpectNoSentinel(platform_logs, "the platform logs");
  ExpectNoSentinel(health, "/health");
  // The protocol puts the intake key in the metrics label, and only there.
  const std::string label = std::string("intake_key=\"") + kIntakeKey + "\"";
  std::string unlabelled = metrics;
  for (std::size_t at; (at = unlabelled.find(label)) != std::string::npos;) unlabelled.erase(at, label.size());
  if (c.exit_code == 0) {
    EXPECT_NE(unlabelled, metrics) << "no intake_key label in /metrics";
  }
  ExpectNoSentinel(unlabelled, "/metrics (outside the intake_key label)");
}

INSTANTIATE_TEST_SUITE_P(EveryTriggerEveryErrorPath, SecretLeak, ::testing::ValuesIn(LeakCases()),
                         [](const ::testing::TestParamInfo<LeakCase>& info) { return info.param.name; });

}  // namespace
}  // namespace integration
