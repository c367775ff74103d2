// Certificate credentials end to end, the secret-leak sweep (every trigger through its error paths
// with sentinel secrets, then every output searched for them), and hostile services and input:
// servers on loopback that hand out other origins, inject headers, echo secrets back.
#include <gtest/gtest.h>
#include <strings.h>
#include <sys/stat.h>

#include "harness.hpp"
#include "hostile_server.hpp"
#include "sekoia/auth/basic_auth_transport.hpp"
#include "sekoia/redaction.hpp"
#include "sekoia/url.hpp"
#include "test_certificates.hpp"

namespace integration {
namespace {

constexpr const char* kGraph = "office365_messagetrace_trigger_graph";
constexpr const char* kBasic = "office365_messagetrace_trigger";
constexpr const char* kOAuth = "office365_messagetrace_trigger_oauth";
constexpr const char* kKeySentinel = "SENTINEL-private-key-0b7e";
// The fixed header of every access token the simulator issues: a token that leaks shows it.
constexpr const char* kAccessTokenHeader =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6InNpbXVsYXRvciJ9";
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
  static const auto certificate =
      sekoia::testing::MakeTestCertificate("expired-test-only", -7200, -3600);
  return certificate;
}

/** Every secret a trigger may hold, as the test's sentinels. */
std::vector<std::string> Sentinels() {
  std::vector<std::string> all = {kSecret,      kPassword,          kIntakeKey,      kPlatformToken,
                                  kKeySentinel, kAccessTokenHeader, kAssertionHeader};
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
    EXPECT_EQ(text.find(sentinel), std::string::npos)
        << "'" << sentinel << "' appears in " << where << ":\n"
        << text;
  }
}

fs::path WritePem(const fs::path& dir, const std::string& name, const std::string& pem) {
  WriteFile(dir / name, pem);
  return dir / name;
}

nlohmann::json Graph(const Simulator& simulator, const nlohmann::json& overrides = {}) {
  // The trigger's own frequency and timedelta (its defaults), not the harness's.
  return Override(GraphConfiguration(simulator, {{"frequency", nullptr}, {"timedelta", nullptr}}),
                  overrides);
}

nlohmann::json Basic(const Simulator& simulator, const nlohmann::json& overrides = {}) {
  return Override(
      {{"account_name", kAccount},
       {"account_password", kPassword},
       {"intake_key", kIntakeKey},
       {"intake_server", simulator.url()},
       {"reporting_url", simulator.url() + "/ecp/reportingwebservice/reporting.svc/MessageTrace"}},
      overrides);
}

nlohmann::json OAuth(const Simulator& simulator, const nlohmann::json& overrides = {}) {
  return Override(Basic(simulator, {{"account_name", nullptr},
                                    {"account_password", nullptr},
                                    {"tenant_id", kTenant},
                                    {"client_id", kClient},
                                    {"client_secret", kSecret},
                                    {"login_url", simulator.url()}}),
                  overrides);
}

nlohmann::json CertificateArguments(const sekoia::testing::TestCertificate& pair) {
  return {{"client_secret", nullptr},
          {"client_certificate", pair.certificate_pem},
          {"client_private_key", pair.private_key_pem}};
}

TEST(CertificateCredential, GoodKeyCollectsEverything) {
  auto dir = ScratchDir();
  Simulator simulator(
      dir, SimulatorArgs({"--records", "3000", "--days", "0.45", "--client-certificate",
                          WritePem(dir, "app.pem", Certificate().certificate_pem).string()}));
  Trigger trigger(dir, simulator, kGraph,
                  Graph(simulator, Override(CertificateArguments(Certificate()),
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
  Simulator simulator(
      dir, SimulatorArgs({"--mode", "reporting", "--records", "500", "--days", "0.05",
                          "--client-certificate",
                          WritePem(dir, "app.pem", Certificate().certificate_pem).string()}));
  Trigger trigger(
      dir, simulator, kOAuth,
      OAuth(simulator, Override(CertificateArguments(Certificate()), {{"start_time", 2}})));
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
  Simulator simulator(
      dir, SimulatorArgs({"--records", "10", "--client-certificate",
                          WritePem(dir, "app.pem", OtherCertificate().certificate_pem).string()}));
  Trigger trigger(dir, simulator, kGraph, Graph(simulator, CertificateArguments(Certificate())));
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] { return trigger.process().Stderr().find("AADSTS700027") != std::string::npos; }, 30s))
      << trigger.process().Stderr();
  const std::string err = trigger.process().Stderr();
  EXPECT_NE(err.find("The key was not found"), std::string::npos) << err;
  EXPECT_NE(err.find("check the certificate uploaded for the application"), std::string::npos)
      << err;
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_EQ(simulator.Stats()["received_total"], 0);
}

TEST(CertificateCredential, ExpiredCertificateIsWarnedAboutAndRefused) {
  auto dir = ScratchDir();
  Simulator simulator(
      dir,
      SimulatorArgs({"--records", "10", "--client-certificate",
                     WritePem(dir, "app.pem", ExpiredCertificate().certificate_pem).string()}));
  Trigger trigger(dir, simulator, kGraph,
                  Graph(simulator, CertificateArguments(ExpiredCertificate())));
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] { return trigger.process().Stderr().find("AADSTS700027") != std::string::npos; }, 30s))
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
  std::vector<std::string>
      simulator_args;  ///< option, value pairs ("" for a switch) besides the sentinels
  const char* marker;  ///< in stderr once the path was taken
  int exit_code;       ///< 2: configuration error (waits, then SIGTERM: exit 0); 0: runs
};

// Stands for the registered certificate's file, written in the test's scratch directory.
constexpr const char* kCertificateFile = "{certificate-file}";

std::vector<LeakCase> LeakCases() {
  const std::string broken_key =
      std::string("-----BEGIN PRIVATE KEY-----\n") + kKeySentinel + "\n-----END PRIVATE KEY-----\n";
  return {
      {"GraphBadSecret",
       kGraph,
       [](const Simulator& s) { return Graph(s); },
       {"--client-secret", "another-secret"},
       "AADSTS7000215",
       0},
      {"GraphUnprovisioned",
       kGraph,
       [](const Simulator& s) { return Graph(s); },
       {"--unprovisioned", ""},
       "New-MgServicePrincipal",
       0},
      {"GraphForbidden",
       kGraph,
       [](const Simulator& s) { return Graph(s); },
       {"--no-permission", ""},
       "ExchangeMessageTrace.Read.All",
       0},
      {"GraphIntakeKeyRefused",
       kGraph,
       [](const Simulator& s) { return Graph(s); },
       {"--intake-key", "another-key"},
       "the intake refused the events",
       0},
      {"GraphTokenRevoked",
       kGraph,
       [](const Simulator& s) {
         return Graph(s, {{"page_size", 10}});
       },
       {"--fault-401", "0.5"},
       "caught up after ",
       0},
      {"GraphConfigurationError",
       kGraph,
       [](const Simulator& s) {
         return Graph(s, {{"page_size", 0}});
       },
       {},
       "Configuration error: page_size",
       2},
      {"GraphBrokenPrivateKey",
       kGraph,
       [broken_key](const Simulator& s) {
         return Graph(s, {{"client_secret", nullptr},
                          {"client_certificate", Certificate().certificate_pem},
                          {"client_private_key", broken_key}});
       },
       {},
       "Configuration error: client_private_key",
       2},
      {"GraphSecretAndCertificate",
       kGraph,
       [](const Simulator& s) {
         return Graph(s,
                      Override(CertificateArguments(Certificate()), {{"client_secret", kSecret}}));
       },
       {},
       "Configuration error: client_secret",
       2},
      {"GraphWrongCertificate",
       kGraph,
       [](const Simulator& s) { return Graph(s, CertificateArguments(OtherCertificate())); },
       {"--client-certificate", kCertificateFile},
       "AADSTS700027",
       0},
      {"GraphBadCaBundle",
       kGraph,
       [](const Simulator& s) {
         return Graph(s, {{"ca_bundle", std::string("not a bundle ") + kSecret}});
       },
       {},
       "Configuration error: ca_bundle",
       2},
      {"BasicBadPassword",
       kBasic,
       [](const Simulator& s) { return Basic(s); },
       {"--mode", "reporting", "--account-password", "another-password"},
       "HTTP 401",
       0},
      {"BasicRetired",
       kBasic,
       [](const Simulator& s) { return Basic(s); },
       {"--mode", "reporting", "--basic-retired", ""},
       "AllowBasicAuthReportingWebServices",
       0},
      {"BasicConfigurationError",
       kBasic,
       [](const Simulator& s) {
         return Basic(s, {{"account_name", nullptr}});
       },
       {},
       "Configuration error: account_name",
       2},
      {"OAuthBadSecret",
       kOAuth,
       [](const Simulator& s) { return OAuth(s); },
       {"--mode", "reporting", "--client-secret", "another-secret"},
       "AADSTS7000215",
       0},
      {"OAuthIntakeKeyRefused",
       kOAuth,
       [](const Simulator& s) { return OAuth(s); },
       {"--mode", "reporting", "--intake-key", "another-key"},
       "the intake refused the events",
       0},
      {"OAuthWrongCertificate",
       kOAuth,
       [](const Simulator& s) { return OAuth(s, CertificateArguments(OtherCertificate())); },
       {"--mode", "reporting", "--client-certificate", kCertificateFile},
       "AADSTS700027",
       0},
      {"OAuthBrokenPrivateKey",
       kOAuth,
       [broken_key](const Simulator& s) {
         return OAuth(s, {{"client_secret", nullptr},
                          {"client_certificate", Certificate().certificate_pem},
                          {"client_private_key", broken_key}});
       },
       {},
       "Configuration error: client_private_key",
       2},
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
    EXPECT_TRUE(WaitUntil(
        [&] { return trigger.process().Stderr().find(c.marker) != std::string::npos; }, 15s))
        << trigger.process().Stderr();
    trigger.process().Signal(SIGTERM);
    EXPECT_EQ(trigger.process().Wait(15s), 0) << trigger.process().Stderr();
  } else {
    EXPECT_TRUE(WaitUntil(
        [&] { return trigger.process().Stderr().find(c.marker) != std::string::npos; }, 60s))
        << trigger.process().Stderr();
    health = client.Get(trigger.Health()).body;
    metrics = client.Get(trigger.Metrics()).body;
    EXPECT_FALSE(metrics.empty());
    trigger.process().Signal(SIGTERM);
    EXPECT_EQ(trigger.process().Wait(15s), 0);
  }
  EXPECT_NE(trigger.process().Stderr().find(c.marker), std::string::npos)
      << trigger.process().Stderr();
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
  for (std::size_t at; (at = unlabelled.find(label)) != std::string::npos;)
    unlabelled.erase(at, label.size());
  if (c.exit_code == 0) {
    EXPECT_NE(unlabelled, metrics) << "no intake_key label in /metrics";
  }
  ExpectNoSentinel(unlabelled, "/metrics (outside the intake_key label)");
}

INSTANTIATE_TEST_SUITE_P(EveryTriggerEveryErrorPath, SecretLeak, ::testing::ValuesIn(LeakCases()),
                         [](const ::testing::TestParamInfo<LeakCase>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------------------------
// Hostile services and hostile input (issue 16).

int PortOf(const std::string& url) { return sekoia::ParseUrl(url)->port; }

// A request header's value (name case-insensitive, optional whitespace), or "".
std::string Header(const ReceivedRequest& request, const std::string& name) {
  std::istringstream lines(request.head);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t colon = line.find(':');
    if (colon != name.size() || ::strncasecmp(line.data(), name.data(), name.size()) != 0) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    return value;
  }
  return "";
}

std::string MinuteAgo(std::chrono::minutes minutes) {
  return sekoia::FormatIso8601(
      std::chrono::floor<std::chrono::minutes>(std::chrono::system_clock::now() - minutes));
}

const char* const kGraphPath = "/v1.0/admin/exchange/tracing/messageTraces";
const char* const kReportingPath = "/ecp/reportingwebservice/reporting.svc/MessageTrace";

// 1. Credentials go only where they belong.
struct CheckpointCase {
  const char* name;
  const char* command;
  std::function<nlohmann::json(const Simulator&)> configuration;
  std::vector<std::string> simulator_args;
  const char* path;  ///< of the stored next link, on the trap's origin
};

class TamperedCheckpoint : public ::testing::TestWithParam<CheckpointCase> {};

TEST_P(TamperedCheckpoint, ItsNextLinkReceivesNothing) {
  const CheckpointCase& c = GetParam();
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs(c.simulator_args));
  HostileServer trap([](const ReceivedRequest&) {
    return ScriptedAnswer{200, R"({"value":[]})", {}};
  });
  Trigger trigger(dir, simulator, c.command, c.configuration(simulator));
  // The window in progress resumes from its stored next link, which now names another port.
  WriteFile(trigger.data_dir() / "context.json",
            nlohmann::json{{"most_recent_date_requested", MinuteAgo(std::chrono::minutes(180))},
                           {"window",
                            {{"start", MinuteAgo(std::chrono::minutes(180))},
                             {"end", MinuteAgo(std::chrono::minutes(120))},
                             {"rows_read", 0},
                             {"next_link", trap.url() + c.path}}}}
                .dump());
  trigger.Start();
  const std::string trap_origin = "127.0.0.1:" + std::to_string(trap.port());
  EXPECT_TRUE(WaitUntil(
      [&] { return trigger.process().Stderr().find(trap_origin) != std::string::npos; }, 60s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(15s), 0);
  EXPECT_EQ(trap.connections(), 0) << "the stored next link's host was contacted";
  EXPECT_TRUE(trap.requests().empty());
  ExpectNoSentinel(trigger.AllOutput(), "the trigger's output");
}

INSTANTIATE_TEST_SUITE_P(
    EveryTrigger, TamperedCheckpoint,
    ::testing::Values(
        CheckpointCase{"Graph",
                       kGraph,
                       [](const Simulator& s) {
                         return Graph(s, {{"start_time", 4}});
                       },
                       {"--records", "10"},
                       "/v1.0/admin/exchange/tracing/messageTraces?$skiptoken=stolen"},
        CheckpointCase{
            "Basic",
            kBasic,
            [](const Simulator& s) {
              return Basic(s, {{"start_time", 4}});
            },
            {"--mode", "reporting", "--records", "10"},
            "/ecp/reportingwebservice/reporting.svc/MessageTrace?$format=json&$skiptoken=1"},
        CheckpointCase{
            "OAuth",
            kOAuth,
            [](const Simulator& s) {
              return OAuth(s, {{"start_time", 4}});
            },
            {"--mode", "reporting", "--records", "10"},
            "/ecp/reportingwebservice/reporting.svc/MessageTrace?$format=json&$skiptoken=1"}),
    [](const ::testing::TestParamInfo<CheckpointCase>& info) { return info.param.name; });

// A Graph that hands out another origin: in a next link (another port; [::1]) or in a redirect.
struct OffOriginCase {
  const char* name;
  bool ipv6_trap;
  bool redirect;
};

class OffOriginGraph : public ::testing::TestWithParam<OffOriginCase> {};

TEST_P(OffOriginGraph, TheOtherOriginReceivesNothing) {
  const OffOriginCase& c = GetParam();
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  HostileServer trap(
      [](const ReceivedRequest&) {
        return ScriptedAnswer{200, R"({"value":[]})", {}};
      },
      c.ipv6_trap);
  const std::string elsewhere = trap.url() + kGraphPath + "?$skiptoken=stolen";
  HostileServer graph([&](const ReceivedRequest&) {
    if (c.redirect) return ScriptedAnswer{302, "", {{"Location", elsewhere}}};
    return ScriptedAnswer{
        200,
        nlohmann::json{{"value", nlohmann::json::array()}, {"@odata.nextLink", elsewhere}}.dump(),
        {}};
  });
  Trigger trigger(dir, simulator, kGraph,
                  Graph(simulator, {{"graph_url", graph.url()}, {"start_time", 2}}));
  trigger.Start();
  // A next link off the origin is refused as its page is read and ends the window with an
  // error; a redirect fails the request, so the cycle.
  const std::string failure =
      c.redirect ? "collection failed" : "ERROR the service's next link points to";
  EXPECT_TRUE(
      WaitUntil([&] { return trigger.process().Stderr().find(failure) != std::string::npos; }, 60s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(15s), 0);
  ASSERT_FALSE(graph.requests().empty());
  EXPECT_EQ(Header(graph.requests().front(), "Authorization").rfind("Bearer ", 0), 0u)
      << "the service itself gets the token:\n"
      << graph.requests().front().head;
  EXPECT_EQ(trap.connections(), 0) << "another origin was contacted";
  ExpectNoSentinel(trigger.AllOutput(), "the trigger's output");
}

INSTANTIATE_TEST_SUITE_P(NextLinksAndRedirects, OffOriginGraph,
                         ::testing::Values(OffOriginCase{"NextLinkToAnotherPort", false, false},
                                           OffOriginCase{"NextLinkToIpv6Loopback", true, false},
                                           OffOriginCase{"RedirectToAnotherPort", false, true}),
                         [](const ::testing::TestParamInfo<OffOriginCase>& info) {
                           return info.param.name;
                         });

// 3. No header injection.
TEST(HeaderInjection, ATokenWithCrLfIsRefusedAndNeverSent) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  HostileServer login([](const ReceivedRequest&) {
    return ScriptedAnswer{
        200,
        nlohmann::json{{"access_token", "eyJhbGciOi.eyJhdWQi.c2ln\r\nX-Injected: yes"},
                       {"expires_in", 3599}}
            .dump(),
        {}};
  });
  HostileServer graph([](const ReceivedRequest&) {
    return ScriptedAnswer{200, R"({"value":[]})", {}};
  });
  Trigger trigger(dir, simulator, kGraph,
                  Graph(simulator, {{"login_url", login.url()}, {"graph_url", graph.url()}}));
  trigger.Start();
  EXPECT_TRUE(WaitUntil(
      [&] { return trigger.process().Stderr().find("invalid access_token") != std::string::npos; },
      60s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(15s), 0);
  EXPECT_FALSE(login.requests().empty());
  EXPECT_EQ(graph.connections(), 0) << "a request went out with the injected token";
  EXPECT_EQ(trigger.AllOutput().find("X-Injected"), std::string::npos);
}

TEST(HeaderInjection, AnIntakeKeyWithCrLfIsAConfigurationError) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  Trigger trigger(
      dir, simulator, kGraph,
      Graph(simulator, {{"intake_key", std::string(kIntakeKey) + "\r\nX-Injected: yes"}}));
  trigger.Start();
  ExpectConfigurationErrorThenCleanStop(trigger, "intake_key");
  // The platform got the same critical line, without the key.
  const auto logs = simulator.Logs();
  ASSERT_FALSE(logs.empty());
  EXPECT_EQ(logs[0]["level"], "critical") << logs.dump();
  EXPECT_EQ(logs[0]["message"].get<std::string>().rfind("Configuration error: intake_key", 0), 0u)
      << logs.dump();
  EXPECT_EQ(simulator.Stats()["received_total"], 0);
  ExpectNoSentinel(trigger.AllOutput(), "the trigger's output");
  ExpectNoSentinel(logs.dump(), "the platform logs");
}

TEST(HeaderInjection, APlatformTokenWithCrLfIsAConfigurationError) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  Trigger trigger(dir, simulator, kGraph, Graph(simulator));
  trigger.env()["TOKEN"] = std::string(kPlatformToken) + "\r\nX-Injected: yes";
  trigger.Start();
  ExpectConfigurationErrorThenCleanStop(trigger, "token");
  ExpectNoSentinel(trigger.AllOutput(), "the trigger's output");
  ExpectNoSentinel(simulator.Logs().dump(), "the platform logs");
}

// 6. Secrets never printed, even when a service echoes them back.
// Secrets with characters that each encoding changes (space, '/', '"', '&', ':', non-ASCII).
const std::string kOddSecret = "SENTINEL/odd secret\"+&\xc3\xa9-1c9d";
const std::string kOddPassword = "SENTINEL:odd/pass word&-77aa";
const std::string kOddToken = "SENTINELtoken.eyJhdWQi.c2lnbmF0dXJl-9f1e";

std::string JsonEscapedWithSlashes(const std::string& text) {
  std::string escaped = nlohmann::json(text).dump();
  escaped = escaped.substr(1, escaped.size() - 2);
  for (std::size_t at = escaped.find('/'); at != std::string::npos; at = escaped.find('/', at + 2))
    escaped.insert(at, 1, '\\');
  return escaped;
}

ScriptedAnswer TokenError(const std::string& description) {
  return {400,
          nlohmann::json{{"error", "invalid_client"},
                         {"error_description", description},
                         {"error_codes", {7000215}}}
              .dump(),
          {}};
}

ScriptedAnswer IssueOddToken() {
  return {
      200,
      nlohmann::json{{"access_token", kOddToken}, {"expires_in", 3599}, {"token_type", "Bearer"}}
          .dump(),
      {}};
}

struct EchoCase {
  const char* name;
  const char* command;
  HostileServer::Handler login;    ///< the token endpoint (Graph and OAuth)
  HostileServer::Handler service;  ///< Graph or the Reporting Web Service
  const char* marker;              ///< in stderr once the echo was printed
};

std::vector<EchoCase> EchoCases() {
  auto unused = [](const ReceivedRequest&) { return ScriptedAnswer{500, "", {}}; };
  return {
      {"TokenEndpointEchoesTheFormPercentEncoded", kGraph,
       [](const ReceivedRequest& r) {
         return TokenError("AADSTS7000215: Invalid client secret. Received: " + r.body);
       },
       unused, "AADSTS7000215"},
      {"TokenEndpointEchoesTheSecretAcrossTheExcerptBoundary", kGraph,
       [](const ReceivedRequest&) {
         return TokenError("AADSTS7000215: " + std::string(475, 'x') + kOddSecret);
       },
       unused, "AADSTS7000215"},
      {"TokenEndpointEchoesTheSecretJsonEscapedWithSlashes", kGraph,
       [](const ReceivedRequest&) {
         return ScriptedAnswer{
             400,
             "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: got " +
                 JsonEscapedWithSlashes(kOddSecret) + "\"}",
             {}};
       },
       unused, "AADSTS7000215"},
      {"GraphEchoesTheBearerHeader", kGraph, [](const ReceivedRequest&) { return IssueOddToken(); },
       [](const ReceivedRequest& r) {
         return ScriptedAnswer{
             401,
             nlohmann::json{
                 {"error",
                  {{"code", "InvalidAuthenticationToken"},
                   {"message", "Authorization: " + Header(r, "Authorization") + " is not valid"}}}}
                 .dump(),
             {{"WWW-Authenticate", "Bearer error=\"invalid_token\", token=\"" + kOddToken + "\""}}};
       },
       "InvalidAuthenticationToken"},
      {"GraphEchoesTheTokenAcrossTheExcerptBoundary", kGraph,
       [](const ReceivedRequest&) { return IssueOddToken(); },
       [](const ReceivedRequest& r) {
         return ScriptedAnswer{
             403,
             nlohmann::json{{"error",
                             {{"code", "Forbidden"},
                              {"message", std::string(480, 'y') + Header(r, "Authorization")}}}}
                 .dump(),
             {}};
       },
       "Forbidden"},
      {"ReportingEchoesTheBasicHeader", kBasic, unused,
       [](const ReceivedRequest& r) {
         return ScriptedAnswer{500,
                               "Authorization: " + Header(r, "Authorization") + "\r\n" + r.head,
                               {{"Content-Type", "text/plain"}}};
       },
       "HTTP 500"},
      {"ReportingEchoesThePasswordPercentEncoded", kBasic, unused,
       [](const ReceivedRequest&) {
         return ScriptedAnswer{
             400,
             nlohmann::json{
                 {"odata.error",
                  {{"code", ""},
                   {"message",
                    {{"value", "password " + sekoia::PercentEncode(kOddPassword) + " refused"}}}}}}
                 .dump(),
             {}};
       },
       "HTTP 400"},
      {"LegacyOAuthEchoesTheBearerHeaderAsText", kOAuth,
       [](const ReceivedRequest&) { return IssueOddToken(); },
       [](const ReceivedRequest& r) {
         return ScriptedAnswer{
             500, "bad token " + Header(r, "Authorization"), {{"Content-Type", "text/plain"}}};
       },
       "HTTP 500"},
  };
}

void PrintTo(const EchoCase& c, std::ostream* out) { *out << c.name; }

void ExpectNoForm(const std::string& text, const std::vector<std::string>& secrets,
                  const std::string& where) {
  for (const std::string& secret : secrets) {
    for (const std::string& form : sekoia::SecretForms(secret)) {
      EXPECT_EQ(text.find(form), std::string::npos)
          << "'" << form << "' appears in " << where << ":\n"
          << text;
    }
  }
}

class EchoedSecret : public ::testing::TestWithParam<EchoCase> {};

TEST_P(EchoedSecret, IsNeverPrinted) {
  const EchoCase& c = GetParam();
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  HostileServer login(c.login);
  HostileServer service(c.service);
  const std::string base =
      c.command == std::string(kGraph) ? service.url() : service.url() + kReportingPath;
  nlohmann::json configuration =
      c.command == std::string(kGraph)
          ? Graph(simulator,
                  {{"client_secret", kOddSecret}, {"login_url", login.url()}, {"graph_url", base}})
      : c.command == std::string(kBasic)
          ? Basic(simulator, {{"account_password", kOddPassword}, {"reporting_url", base}})
          : OAuth(simulator, {{"client_secret", kOddSecret},
                              {"login_url", login.url()},
                              {"reporting_url", base}});
  Trigger trigger(dir, simulator, c.command, configuration);
  trigger.Start();
  EXPECT_TRUE(WaitUntil(
      [&] { return trigger.process().Stderr().find(c.marker) != std::string::npos; }, 60s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(15s), 0);
  // The services did receive the secrets: the echo was real.
  if (c.command == std::string(kBasic)) {
    ASSERT_FALSE(service.requests().empty());
    EXPECT_EQ(Header(service.requests().front(), "Authorization").rfind("Basic ", 0), 0u);
  } else {
    ASSERT_FALSE(login.requests().empty());
    EXPECT_NE(
        login.requests().front().body.find("client_secret=" + sekoia::PercentEncode(kOddSecret)),
        std::string::npos)
        << login.requests().front().body;
    if (!service.requests().empty()) {
      EXPECT_EQ(Header(service.requests().front(), "Authorization"), "Bearer " + kOddToken);
    }
  }
  WaitUntil([&] { return simulator.Logs().dump().find(c.marker) != std::string::npos; }, 5s);
  const std::vector<std::string> secrets = {
      kOddSecret, kOddPassword, kOddToken,
      sekoia::auth::Base64(std::string(kAccount) + ":" + kOddPassword)};
  ExpectNoForm(trigger.AllOutput(), secrets, "the trigger's output");
  ExpectNoForm(simulator.Logs().dump(), secrets, "the platform logs");
  ExpectNoSentinel(trigger.AllOutput(), "the trigger's output");
  // Every secret here starts with SENTINEL: an excerpt cut inside one leaves that much of it.
  EXPECT_EQ(trigger.AllOutput().find("SENTINEL"), std::string::npos) << "a partial secret:\n"
                                                                     << trigger.AllOutput();
  EXPECT_EQ(simulator.Logs().dump().find("SENTINEL"), std::string::npos)
      << "a partial secret in the platform logs";
}

INSTANTIATE_TEST_SUITE_P(EightShapes, EchoedSecret, ::testing::ValuesIn(EchoCases()),
                         [](const ::testing::TestParamInfo<EchoCase>& info) {
                           return info.param.name;
                         });

// 8. Strict URLs.
TEST(StrictUrls, UserInformationQueriesAndFragmentsAreConfigurationErrorsThatQuoteNoPassword) {
  struct Case {
    const char* argument;
    std::string value;
    const char* reason;
  };
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  const std::string host = simulator.url().substr(std::string("http://").size());
  for (const Case& c :
       {Case{"graph_url", "http://admin:" + sekoia::PercentEncode(kOddSecret) + "@" + host,
             "user information"},
        Case{"login_url", "http://admin:" + std::string(kSecret) + "@" + host, "user information"},
        Case{"intake_server", simulator.url() + "/?key=" + kIntakeKey, "query"},
        Case{"graph_url", simulator.url() + "/#fragment", "fragment"}}) {
    Trigger trigger(dir, simulator, kGraph, Graph(simulator, {{c.argument, c.value}}));
    trigger.Start();
    const std::string err = ExpectConfigurationErrorThenCleanStop(trigger, c.argument);
    EXPECT_NE(err.find(c.reason), std::string::npos) << err;
    ExpectNoForm(trigger.AllOutput(), {kOddSecret}, "the trigger's output");
    ExpectNoSentinel(trigger.AllOutput(), "the trigger's output");
  }
  const std::string logs = simulator.Logs().dump();
  std::size_t reported = 0;
  for (std::size_t at = logs.find("Configuration error: "); at != std::string::npos;
       at = logs.find("Configuration error: ", at + 1)) {
    ++reported;
  }
  EXPECT_EQ(reported, 4u) << logs;
  ExpectNoForm(logs, {kOddSecret}, "the platform logs");
  ExpectNoSentinel(logs, "the platform logs");
}

nlohmann::json Ipv6Graph(const Simulator& simulator, const Ipv6Relay& relay) {
  return Graph(simulator, {{"graph_url", relay.url()},
                           {"login_url", relay.url()},
                           {"intake_server", relay.url()},
                           {"start_time", 3}});
}

// The configuration takes IPv6 literals and binds the credentials to them: the trigger goes to
// [::1] and refuses nothing. (Whether the HTTP library then reaches it is the next test's.)
TEST(StrictUrls, Ipv6LoopbackLiteralsAreAcceptedAndBoundToTheirOrigin) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  Ipv6Relay relay(PortOf(simulator.url()));
  Trigger trigger(dir, simulator, kGraph, Ipv6Graph(simulator, relay));
  trigger.Start();
  EXPECT_TRUE(WaitUntil(
      [&] {
        return relay.connections() > 0 ||
               trigger.process().Stderr().find("::1/") != std::string::npos;
      },
      60s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(15s), 0);
  const std::string err = trigger.process().Stderr();
  EXPECT_EQ(err.find("Configuration error"), std::string::npos) << err;
  EXPECT_EQ(err.find("refusing to send"), std::string::npos) << err;
}

// The whole collection over IPv6 literals: token, pages and intake through [::1].
TEST(StrictUrls, Ipv6LoopbackLiteralsWorkEndToEnd) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "500", "--days", "0.1"}));
  Ipv6Relay relay(PortOf(simulator.url()));
  Trigger trigger(dir, simulator, kGraph, Ipv6Graph(simulator, relay));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(90s)) << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_GT(stats["received_total"].get<int>(), 0) << stats.dump();
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_GT(relay.connections(), 0);
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(15s), 0);
}

// 7. No secrets in a dump. A process that is not dumpable has its /proc/<pid> files owned by
// root whatever its user (so another process of that user can neither read its memory nor
// ptrace it), and writes no core; run as nobody, the difference shows.
uid_t ProcOwner(pid_t pid) {
  struct stat info {};
  if (::stat(("/proc/" + std::to_string(pid) + "/status").c_str(), &info) != 0)
    return static_cast<uid_t>(-1);
  return info.st_uid;
}

TEST(NoDump, TheTriggerCannotDumpCoreNorBeReadByAnotherProcessOfItsUser) {
  constexpr uid_t kNobody = 65534;
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  fs::create_directories(dir / "config");
  fs::create_directories(dir / "data");
  fs::permissions(dir / "data", fs::perms::all);
  WriteFile(dir / "config" / "trigger_configuration", Graph(simulator).dump());
  const std::vector<std::string> as_nobody = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                              "--clear-groups"};
  std::vector<std::string> argv = as_nobody;
  for (const std::string& part :
       {std::string(TRIGGER_BINARY), std::string(kGraph), std::string("--config-dir"),
        (dir / "config").string(), std::string("--data-dir"), (dir / "data").string()}) {
    argv.push_back(part);
  }
  const std::map<std::string, std::string> env = {{"TOKEN", kPlatformToken},
                                                  {"URL_LOGS", simulator.url() + "/logs"},
                                                  {"LIVENESS_PORT", std::to_string(FreePort())},
                                                  {"METRICS_PORT", std::to_string(FreePort())}};
  Process trigger(argv, env, dir / "trigger.out", dir / "trigger.err");
  std::vector<std::string> sleeper_argv = as_nobody;
  sleeper_argv.insert(sleeper_argv.end(), {"/bin/sleep", "60"});
  Process sleeper(sleeper_argv, {}, dir / "sleep.out", dir / "sleep.err");
  ASSERT_TRUE(
      WaitUntil([&] { return trigger.Stderr().find("starting the") != std::string::npos; }, 30s))
      << trigger.Stderr();
  ASSERT_TRUE(WaitUntil([&] { return ProcOwner(sleeper.pid()) == kNobody; }, 10s))
      << "the check itself works";
  EXPECT_EQ(ProcOwner(trigger.pid()), 0u)
      << "the trigger is dumpable: its memory is readable by its user";
  const std::string limits = ReadFile("/proc/" + std::to_string(trigger.pid()) + "/limits");
  const std::size_t core = limits.find("Max core file size");
  ASSERT_NE(core, std::string::npos) << limits;
  std::istringstream line(limits.substr(core + std::strlen("Max core file size"), 60));
  std::string soft, hard;
  line >> soft >> hard;
  EXPECT_EQ(soft, "0") << limits;
  EXPECT_EQ(hard, "0") << limits;
  trigger.Signal(SIGTERM);
  EXPECT_EQ(trigger.Wait(15s), 0) << trigger.Stderr();
  sleeper.Signal(SIGTERM);
  sleeper.Wait(5s);
}

}  // namespace
}  // namespace integration
