#include "trigger_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <regex>

#include "sekoia/errors.hpp"
#include "test_certificates.hpp"

namespace message_trace {
namespace {

nlohmann::json Valid() {
  return {{"tenant_id", "00000000-0000-0000-0000-0000000000aa"},
          {"client_id", "c"},
          {"client_secret", "s"},
          {"intake_key", "k"}};
}

std::string ErrorOf(const nlohmann::json& arguments) {
  try {
    LoadGraphTriggerConfig(sekoia::Arguments(arguments), "");
  } catch (const sekoia::ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(GraphTriggerConfig, DefaultsAreThePlatformsOnes) {
  GraphTriggerConfig config = LoadGraphTriggerConfig(sekoia::Arguments(Valid()), "");
  EXPECT_EQ(config.common.collector.frequency, std::chrono::seconds(60));
  EXPECT_EQ(config.common.collector.timedelta, std::chrono::minutes(5));
  // The default lookback is now the last age of the default re-read schedule.
  EXPECT_EQ(config.common.collector.lookback, std::chrono::minutes(0));
  EXPECT_EQ(
      config.common.collector.reread_after,
      (std::vector<std::chrono::seconds>{std::chrono::minutes(5), std::chrono::minutes(15),
                                         std::chrono::minutes(30), std::chrono::minutes(60)}));
  EXPECT_EQ(config.common.collector.start_time, std::chrono::hours(1));
  EXPECT_EQ(config.common.chunk_size, 1000u);
  EXPECT_EQ(config.common.http_timeout, std::chrono::seconds(120));
  EXPECT_EQ(config.common.intake_server, "https://intake.sekoia.io");
  EXPECT_EQ(config.graph.page_size, 5000);
  EXPECT_EQ(config.graph.api_version, "v1.0");
  EXPECT_EQ(config.graph.graph_url, "https://graph.microsoft.com");
  EXPECT_EQ(config.credentials.login_url, "https://login.microsoftonline.com");
  EXPECT_EQ(LoadGraphTriggerConfig(sekoia::Arguments(Valid()), "https://intake.other")
                .common.intake_server,
            "https://intake.other");
}

TEST(GraphTriggerConfig, MinutesMayHaveDecimals) {
  auto arguments = Valid();
  arguments["timedelta"] = 0.5;
  arguments["lookback"] = "1.5";
  GraphTriggerConfig config = LoadGraphTriggerConfig(sekoia::Arguments(arguments), "");
  EXPECT_EQ(config.common.collector.timedelta, std::chrono::seconds(30));
  EXPECT_EQ(config.common.collector.reread_after,
            std::vector<std::chrono::seconds>{std::chrono::seconds(90)});
}

TEST(GraphTriggerConfig, LookbackSetsTheLastRereadAgeOfExistingConfigurations) {
  using std::chrono::minutes;
  auto reread = [](nlohmann::json changes) {
    auto arguments = Valid();
    arguments.update(changes);
    return LoadGraphTriggerConfig(sekoia::Arguments(arguments), "").common.collector;
  };
  EXPECT_EQ(reread({{"lookback", 20}}).reread_after,
            (std::vector<std::chrono::seconds>{minutes(5), minutes(15), minutes(20)}));
  EXPECT_EQ(reread({{"lookback", 360}}).reread_after,
            (std::vector<std::chrono::seconds>{minutes(5), minutes(15), minutes(30), minutes(60),
                                               minutes(360)}));
  EXPECT_TRUE(reread({{"lookback", 0}}).reread_after.empty())
      << "lookback 0 reads each window once";
  EXPECT_EQ(reread({{"lookback", 0}}).lookback, minutes(0));
  // Given, the list rules, whatever lookback the platform fills in.
  EXPECT_EQ(reread({{"reread_after_minutes", "10,360"}, {"lookback", 60}}).reread_after,
            (std::vector<std::chrono::seconds>{minutes(10), minutes(360)}));
  // "full": the former full lookback before every window.
  const CollectorOptions full = reread({{"reread_after_minutes", "full"}, {"lookback", 45}});
  EXPECT_TRUE(full.reread_after.empty());
  EXPECT_EQ(full.lookback, minutes(45));
  EXPECT_EQ(ErrorOf([] {
              auto a = Valid();
              a["reread_after_minutes"] = "30,15";
              return a;
            }()),
            "reread_after_minutes: 15 does not come after the age before it; give ascending "
            "minutes after a "
            "window's end, separated by commas, such as 5,15,30,60");
}

TEST(GraphTriggerConfig, BadArgumentsAreNamed) {
  auto with = [](const char* key, nlohmann::json value) {
    auto arguments = Valid();
    arguments[key] = value;
    return arguments;
  };
  auto without = [](const char* key) {
    auto arguments = Valid();
    arguments.erase(key);
    return arguments;
  };
  EXPECT_EQ(ErrorOf(without("client_secret")),
            "client_secret: missing; give the client secret's Value, or client_certificate and "
            "client_private_key");
  EXPECT_EQ(ErrorOf(without("intake_key")), "intake_key: missing; this argument is required");
  EXPECT_EQ(ErrorOf(with("frequency", 0)),
            "frequency: 0 is out of range; give an integer from 1 to 86400");
  EXPECT_EQ(ErrorOf(with("frequency", -5)),
            "frequency: -5 is out of range; give an integer from 1 to 86400");
  EXPECT_EQ(ErrorOf(with("page_size", 5001)),
            "page_size: 5001 is out of range; give an integer from 1 to 5000");
  EXPECT_EQ(ErrorOf(with("page_size", 0)),
            "page_size: 0 is out of range; give an integer from 1 to 5000");
  EXPECT_EQ(ErrorOf(with("timedelta", "five")),
            "timedelta: 'five' is not a number; give a number of minutes from 0 to 1440");
  EXPECT_EQ(ErrorOf(with("timedelta", 1441)),
            "timedelta: 1441 is out of range; give a number of minutes from 0 to 1440");
  EXPECT_EQ(ErrorOf(with("lookback", -1)),
            "lookback: -1 is out of range; give a number of minutes from 0 to 1440");
  EXPECT_EQ(ErrorOf(with("lookback", true)),
            "lookback: expected a number, got a boolean; give a number of minutes from 0 to 1440");
  EXPECT_EQ(ErrorOf(with("api_version", "v2")),
            "api_version: 'v2' is not a Graph version; give v1.0 or beta");
  EXPECT_NE(ErrorOf(with("graph_url", "http://graph.example"))
                .find("graph_url: 'http://graph.example' must use https"),
            std::string::npos);
  EXPECT_NE(ErrorOf(with("tenant_id", "a/b")).find("tenant_id: must be the Directory (tenant) ID"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(with("tenant_id", 12)), "tenant_id: expected a string, got a number");
  EXPECT_EQ(ErrorOf(with("http_timeout", 4)),
            "http_timeout: 4 is out of range; give an integer from 5 to 600");
  EXPECT_EQ(ErrorOf(with("http_timeout", 601)),
            "http_timeout: 601 is out of range; give an integer from 5 to 600");
  EXPECT_EQ(ErrorOf(with("frequency", "30")), "(no error)");
  EXPECT_EQ(
      LoadGraphTriggerConfig(sekoia::Arguments(with("http_timeout", 30)), "").common.http_timeout,
      std::chrono::seconds(30));
}

// The argument sets of the platform's existing Python triggers (their trigger_*.json), unchanged.
TEST(ReportingTriggerConfig, AcceptsTheExistingTriggersConfigurations) {
  nlohmann::json basic = {{"frequency", 60},
                          {"timedelta", 5},
                          {"start_time", 1},
                          {"chunk_size", 1000},
                          {"account_name", "reporter@contoso.onmicrosoft.com"},
                          {"account_password", "p"},
                          {"intake_server", "https://intake.sekoia.io"},
                          {"intake_key", "k"}};
  auto config = LoadReportingTriggerConfig(sekoia::Arguments(basic), "", ReportingAuth::kBasic);
  EXPECT_EQ(config.account_name, "reporter@contoso.onmicrosoft.com");
  EXPECT_EQ(config.reporting.reporting_url,
            "https://reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace");
  nlohmann::json minimal_basic = {
      {"account_name", "a"}, {"account_password", "p"}, {"intake_key", "k"}};
  EXPECT_NO_THROW(
      LoadReportingTriggerConfig(sekoia::Arguments(minimal_basic), "", ReportingAuth::kBasic));
  nlohmann::json oauth = {{"tenant_id", "contoso.onmicrosoft.com"},
                          {"client_id", "c"},
                          {"client_secret", "s"},
                          {"timedelta", 5},
                          {"start_time", 1},
                          {"frequency", 60},
                          {"chunk_size", 1000},
                          {"intake_server", "https://intake.sekoia.io"},
                          {"intake_key", "k"}};
  auto oauth_config =
      LoadReportingTriggerConfig(sekoia::Arguments(oauth), "", ReportingAuth::kOAuth);
  EXPECT_EQ(oauth_config.credentials.tenant_id, "contoso.onmicrosoft.com");
  EXPECT_EQ(oauth_config.common.collector.frequency, std::chrono::seconds(60));
}

TEST(ReportingTriggerConfig, MissingCredentialsAreNamed) {
  auto error = [](nlohmann::json arguments, ReportingAuth auth) {
    try {
      LoadReportingTriggerConfig(sekoia::Arguments(arguments), "", auth);
    } catch (const sekoia::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error({{"account_name", "a"}, {"intake_key", "k"}}, ReportingAuth::kBasic),
            "account_password: missing; this argument is required");
  EXPECT_EQ(error({{"client_id", "c"}, {"client_secret", "s"}, {"intake_key", "k"}},
                  ReportingAuth::kOAuth),
            "tenant_id: missing; this argument is required");
  EXPECT_NE(error({{"account_name", "a"},
                   {"account_password", "p"},
                   {"intake_key", "k"},
                   {"reporting_url", "http://reports.example/x"}},
                  ReportingAuth::kBasic)
                .find("reporting_url: 'http://reports.example/x' must use https"),
            std::string::npos);
}

nlohmann::json WithCertificate(const sekoia::testing::TestCertificate& pair) {
  auto arguments = Valid();
  arguments.erase("client_secret");
  arguments["client_certificate"] = pair.certificate_pem;
  arguments["client_private_key"] = pair.private_key_pem;
  return arguments;
}

std::string ReportingErrorOf(const nlohmann::json& arguments) {
  try {
    LoadReportingTriggerConfig(sekoia::Arguments(arguments), "", ReportingAuth::kBasic);
  } catch (const sekoia::ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

// The service's windows are at most 6 hours, the lookback included: the loader says so, where a
// collector would only find it out at its start.
TEST(ReportingTriggerConfig, AFullLookbackTooLongForTheApiIsAConfigurationError) {
  nlohmann::json arguments = {{"account_name", "a"}, {"account_password", "p"},
                              {"intake_key", "k"},   {"reread_after_minutes", "full"},
                              {"lookback", 240},     {"frequency", 7201}};
  EXPECT_EQ(ReportingErrorOf(arguments),
            "lookback: too long for this API; give at most 239 minutes");
  arguments["frequency"] = 7200;
  EXPECT_EQ(ReportingErrorOf(arguments), "(no error)");
  arguments["frequency"] = 86400;
  EXPECT_EQ(ReportingErrorOf(arguments),
            "lookback: a full lookback leaves no room in this API's windows of 360 minutes at this "
            "frequency; give a "
            "frequency under 21540 seconds, or re-reads instead of reread_after_minutes 'full'");
  // Without a full lookback, a frequency longer than the API's window is read in windows of 6
  // hours (CollectorWindows.AFrequencyLongerThanTheApisWindowIsReadInWindowsOfItsLength).
  arguments.erase("reread_after_minutes");
  arguments["frequency"] = 86400;
  EXPECT_EQ(ReportingErrorOf(arguments), "(no error)");
}

TEST(CheckAgainstLimits, TheLastRereadMustComeBeforeTheServiceDropsTheData) {
  CollectorOptions collector;
  collector.frequency = std::chrono::seconds(60);
  collector.reread_after = {std::chrono::minutes(5), std::chrono::hours(2)};
  const SourceLimits limits{std::chrono::hours(6), std::chrono::hours(1)};
  try {
    CheckAgainstLimits(collector, limits);
    ADD_FAILURE() << "accepted a re-read after the data is gone";
  } catch (const sekoia::ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "lookback: the last re-read comes after the service drops the data; give at most "
                 "59 minutes");
  }
  collector.reread_after = {std::chrono::minutes(5), std::chrono::minutes(59)};
  EXPECT_NO_THROW(CheckAgainstLimits(collector, limits));
}

TEST(LoadBudgetPeriod, IsMicrosofts5MinutesUnlessTheMeasurementVariableShortensIt) {
  EXPECT_EQ(LoadBudgetPeriod(nullptr), std::chrono::seconds(300));
  EXPECT_EQ(LoadBudgetPeriod(""), std::chrono::seconds(300));
  EXPECT_EQ(LoadBudgetPeriod("15"), std::chrono::seconds(15));
  EXPECT_EQ(LoadBudgetPeriod("300"), std::chrono::seconds(300));
  for (const char* bad : {"0", "301", "-5", "1.5", "15s", "99999999999999999999"}) {
    try {
      LoadBudgetPeriod(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const sekoia::ConfigError& error) {
      EXPECT_EQ(std::string(error.what()).rfind("OFFICE365_BUDGET_PERIOD_SECONDS: '", 0), 0u)
          << error.what();
    }
  }
}

TEST(ClientCredentialsConfig, ACertificateReplacesTheSecret) {
  auto pair = sekoia::testing::MakeTestCertificate();
  auto config = LoadGraphTriggerConfig(sekoia::Arguments(WithCertificate(pair)), "");
  EXPECT_EQ(config.credentials.client_secret, "");
  EXPECT_EQ(config.credentials.client_certificate, pair.certificate_pem);
  EXPECT_EQ(config.credentials.client_private_key, pair.private_key_pem);
  auto oauth = WithCertificate(pair);
  oauth["tenant_id"] = "contoso.onmicrosoft.com";
  EXPECT_EQ(LoadReportingTriggerConfig(sekoia::Arguments(oauth), "", ReportingAuth::kOAuth)
                .credentials.client_certificate,
            pair.certificate_pem);
}

TEST(ClientCredentialsConfig, ExactlyOneCredentialAndEveryPemProblemIsNamed) {
  auto pair = sekoia::testing::MakeTestCertificate();
  auto other = sekoia::testing::MakeTestCertificate();
  auto both = WithCertificate(pair);
  both["client_secret"] = "s";
  EXPECT_EQ(ErrorOf(both),
            "client_secret: give either client_secret or client_certificate with "
            "client_private_key, not both");
  auto no_key = WithCertificate(pair);
  no_key.erase("client_private_key");
  EXPECT_EQ(ErrorOf(no_key), "client_private_key: missing; this argument is required");
  auto no_certificate = WithCertificate(pair);
  no_certificate.erase("client_certificate");
  EXPECT_EQ(ErrorOf(no_certificate), "client_certificate: missing; this argument is required");
  auto not_pem = WithCertificate(pair);
  not_pem["client_certificate"] = "MIIB-not-a-certificate";
  EXPECT_EQ(ErrorOf(not_pem).rfind("client_certificate: not a PEM certificate", 0), 0u)
      << ErrorOf(not_pem);
  auto wrong_key = WithCertificate(pair);
  wrong_key["client_private_key"] = other.private_key_pem;
  EXPECT_EQ(ErrorOf(wrong_key).rfind(
                "client_private_key: the private key does not belong to client_certificate", 0),
            0u)
      << ErrorOf(wrong_key);
  auto broken_key = WithCertificate(pair);
  broken_key["client_private_key"] =
      "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
  const std::string broken = ErrorOf(broken_key);
  EXPECT_EQ(broken.rfind("client_private_key: the PEM private key does not parse", 0), 0u)
      << broken;
  EXPECT_EQ(broken.find("c2VjcmV0"), std::string::npos) << "the key is quoted: " << broken;
  auto encrypted = WithCertificate(pair);
  encrypted["client_private_key"] =
      sekoia::testing::EncryptPrivateKey(pair.private_key_pem, "pass");
  EXPECT_EQ(ErrorOf(encrypted).rfind("client_private_key: the private key is encrypted", 0), 0u)
      << ErrorOf(encrypted);
}

TEST(ClientCredentialsConfig, FlattenedPemsAreRestored) {
  auto pair = sekoia::testing::MakeTestCertificate();
  auto flatten = [](std::string pem, const std::string& separator) {
    std::string out;
    for (char c : pem) out += c == '\n' ? separator : std::string(1, c);
    return out;
  };
  auto escaped = WithCertificate(pair);
  escaped["client_certificate"] = flatten(pair.certificate_pem, "\\n");
  escaped["client_private_key"] = flatten(pair.private_key_pem, "\\n");
  EXPECT_EQ(LoadGraphTriggerConfig(sekoia::Arguments(escaped), "").credentials.client_private_key,
            pair.private_key_pem);
  auto spaced = WithCertificate(pair);
  spaced["client_certificate"] = flatten(pair.certificate_pem, " ");
  spaced["client_private_key"] = flatten(pair.private_key_pem, " ");
  auto config = LoadGraphTriggerConfig(sekoia::Arguments(spaced), "");
  EXPECT_EQ(config.credentials.client_certificate, pair.certificate_pem);
  EXPECT_EQ(config.credentials.client_private_key, pair.private_key_pem);
}

TEST(CommonConfig, CaBundleMustHoldACertificateAndIsNeverQuoted) {
  auto arguments = Valid();
  arguments["ca_bundle"] = "secret-looking text";
  EXPECT_EQ(ErrorOf(arguments).rfind("ca_bundle: holds no valid PEM certificate", 0), 0u)
      << ErrorOf(arguments);
  EXPECT_EQ(ErrorOf(arguments).find("secret-looking"), std::string::npos);
  auto authority = sekoia::testing::MakeTestCertificate("proxy authority");
  arguments["ca_bundle"] = authority.certificate_pem;
  EXPECT_EQ(LoadGraphTriggerConfig(sekoia::Arguments(arguments), "").common.ca_bundle,
            authority.certificate_pem);
  EXPECT_EQ(LoadGraphTriggerConfig(sekoia::Arguments(Valid()), "").common.ca_bundle, "");
}

TEST(GraphTriggerConfig, RequestsPer5MinutesIsAShareOfMicrosoftsHundred) {
  EXPECT_EQ(LoadGraphTriggerConfig(sekoia::Arguments(Valid()), "").common.requests_per_5_minutes,
            80);
  nlohmann::json arguments = Valid();
  arguments["requests_per_5_minutes"] = 25;
  EXPECT_EQ(LoadGraphTriggerConfig(sekoia::Arguments(arguments), "").common.requests_per_5_minutes,
            25);
  for (int bad : {0, 101, -5}) {
    arguments["requests_per_5_minutes"] = bad;
    EXPECT_NE(ErrorOf(arguments).find("requests_per_5_minutes"), std::string::npos) << bad;
  }
  nlohmann::json basic = {{"account_name", "a"},
                          {"account_password", "p"},
                          {"intake_key", "k"},
                          {"requests_per_5_minutes", 10}};
  EXPECT_EQ(LoadReportingTriggerConfig(sekoia::Arguments(basic), "", ReportingAuth::kBasic)
                .common.requests_per_5_minutes,
            10);
}

TEST(GraphTriggerConfig, NationalCloudsAreRefusedWithTheReason) {
  for (const char* argument : {"graph_url", "login_url"}) {
    for (const char* host :
         {"graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn",
          "login.microsoftonline.us", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
          "GRAPH.MICROSOFT.US"}) {
      nlohmann::json arguments = Valid();
      arguments[argument] = std::string("https://") + host;
      const std::string error = ErrorOf(arguments);
      EXPECT_EQ(error.rfind(std::string(argument) + ": ", 0), 0u) << error;
      EXPECT_NE(error.find("global cloud only"), std::string::npos) << error;
    }
  }
  // The global cloud, other hosts and loopback (tests) stay allowed.
  for (const char* url :
       {"https://graph.microsoft.com", "http://127.0.0.1:8080",
        "https://graph.microsoft.usual.test", "https://notmicrosoft.us.example"}) {
    nlohmann::json arguments = Valid();
    arguments["graph_url"] = url;
    EXPECT_EQ(ErrorOf(arguments), "(no error)") << url;
  }
  nlohmann::json oauth = {{"tenant_id", "t"},
                          {"client_id", "c"},
                          {"client_secret", "s"},
                          {"intake_key", "k"},
                          {"login_url", "https://login.microsoftonline.us"}};
  EXPECT_THROW(LoadReportingTriggerConfig(sekoia::Arguments(oauth), "", ReportingAuth::kOAuth),
               sekoia::ConfigError);
}

// Issue 13.8: a national reporting host would need a national login_url, which is refused: the
// pair could never work, so reporting_url is refused at start with the same reason.
TEST(ReportingTriggerConfig, NationalCloudReportingHostsAreRefusedWithTheReason) {
  for (const ReportingAuth auth : {ReportingAuth::kBasic, ReportingAuth::kOAuth}) {
    for (const char* host : {"reports.office365.us", "outlook-dod.office365.us", "webmail.apps.mil",
                             "reports.partner.outlook.cn", "REPORTS.OFFICE365.US"}) {
      nlohmann::json arguments = {{"tenant_id", "t"},        {"client_id", "c"},
                                  {"client_secret", "s"},    {"account_name", "a"},
                                  {"account_password", "p"}, {"intake_key", "k"}};
      arguments["reporting_url"] =
          std::string("https://") + host + "/ecp/reportingwebservice/reporting.svc/MessageTrace";
      std::string error = "(no error)";
      try {
        LoadReportingTriggerConfig(sekoia::Arguments(arguments), "", auth);
      } catch (const sekoia::ConfigError& e) {
        error = e.what();
      }
      EXPECT_EQ(error.rfind("reporting_url: ", 0), 0u) << error;
      EXPECT_NE(error.find("global cloud only"), std::string::npos) << error;
    }
  }
  // The global host and loopback (tests) stay allowed.
  for (const char* url :
       {"https://reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace",
        "http://127.0.0.1:9000/ecp/reportingwebservice/reporting.svc/MessageTrace"}) {
    nlohmann::json basic = {{"account_name", "a"},
                            {"account_password", "p"},
                            {"intake_key", "k"},
                            {"reporting_url", url}};
    EXPECT_NO_THROW(LoadReportingTriggerConfig(sekoia::Arguments(basic), "", ReportingAuth::kBasic))
        << url;
  }
}

TEST(ReportingTriggerConfig, TheTokenScopeFollowsReportingUrlsHost) {
  EXPECT_EQ(ReportingScope(
                "https://reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace"),
            "https://outlook.office365.com/.default");
  EXPECT_EQ(ReportingScope(
                "https://reports.office365.us/ecp/reportingwebservice/reporting.svc/MessageTrace"),
            "https://outlook.office365.us/.default");
  EXPECT_EQ(
      ReportingScope("http://127.0.0.1:9000/ecp/reportingwebservice/reporting.svc/MessageTrace"),
      "https://outlook.office365.com/.default");
  nlohmann::json oauth = {
      {"tenant_id", "t"}, {"client_id", "c"}, {"client_secret", "s"}, {"intake_key", "k"}};
  EXPECT_EQ(LoadReportingTriggerConfig(sekoia::Arguments(oauth), "", ReportingAuth::kOAuth)
                .credentials.scope,
            "https://outlook.office365.com/.default");
  EXPECT_EQ(LoadGraphTriggerConfig(sekoia::Arguments(Valid()), "").credentials.scope,
            "https://graph.microsoft.com/.default");
}

}  // namespace
}  // namespace message_trace

namespace message_trace {
namespace {

TEST(TriggerConfigWarnings, AnUnknownGraphArgumentSuggestsTheKnownNameItIsATypoOf) {
  nlohmann::json arguments = Valid();
  arguments["frequncy"] = 30;
  arguments["page_sise"] = 100;
  const GraphTriggerConfig config = LoadGraphTriggerConfig(sekoia::Arguments(arguments), "");
  EXPECT_EQ(config.common.collector.frequency, std::chrono::seconds(60)) << "the typo is not read";
  EXPECT_EQ(config.common.warnings,
            (std::vector<std::string>{
                "unknown argument 'frequncy' is ignored; did you mean 'frequency'?",
                "unknown argument 'page_sise' is ignored; did you mean 'page_size'?"}));
}

TEST(TriggerConfigWarnings, EveryArgumentOfTheCatalogIsKnownToItsLoader) {
  // The arguments of trigger_office365_messagetrace_graph.json, all given: none is unknown,
  // whichever secret form is used, even when the caller asked about others first.
  nlohmann::json arguments = Valid();
  for (const char* name : {"intake_server", "login_url", "graph_url"})
    arguments[name] = "https://127.0.0.1:1";
  arguments.update({{"frequency", 60},
                    {"timedelta", 5},
                    {"start_time", 1},
                    {"chunk_size", 1000},
                    {"requests_per_5_minutes", 80},
                    {"http_timeout", 120},
                    {"page_size", 5000},
                    {"api_version", "v1.0"},
                    {"lookback", 60}});
  sekoia::Arguments given(arguments);
  given.Has("account_password");  // as main.cpp's secret registration does
  EXPECT_TRUE(LoadGraphTriggerConfig(given, "").common.warnings.empty());
}

TEST(TriggerConfigWarnings, ArgumentsOfAnotherTriggerAreUnknownToTheBasicOne) {
  const nlohmann::json arguments = {
      {"account_name", "a"}, {"account_password", "p"}, {"intake_key", "k"}, {"client_id", "c"}};
  const ReportingTriggerConfig config =
      LoadReportingTriggerConfig(sekoia::Arguments(arguments), "", ReportingAuth::kBasic);
  ASSERT_EQ(config.common.warnings.size(), 1u);
  EXPECT_EQ(config.common.warnings[0].rfind(
                "unknown argument 'client_id' is ignored; this trigger's arguments are ", 0),
            0u)
      << config.common.warnings[0];
  EXPECT_NE(config.common.warnings[0].find("account_name"), std::string::npos);
}

}  // namespace
}  // namespace message_trace

namespace message_trace {
namespace {

// The catalog files describe what the loaders enforce: every numeric argument has the bounds the
// loader checks (at the bounds accepted, one step beyond refused naming the argument), every
// enum lists what it accepts, every pattern matches what it accepts.
struct CatalogCase {
  const char* file;
  std::function<void(const nlohmann::json&)> load;
  nlohmann::json valid;
};

std::vector<CatalogCase> CatalogCases() {
  const nlohmann::json oauth = Valid();
  const nlohmann::json basic = {
      {"account_name", "a"}, {"account_password", "p"}, {"intake_key", "k"}};
  return {
      {"trigger_office365_messagetrace_graph.json",
       [](const nlohmann::json& a) { LoadGraphTriggerConfig(sekoia::Arguments(a), ""); }, Valid()},
      {"trigger_office365_messagetrace_oauth.json",
       [](const nlohmann::json& a) {
         LoadReportingTriggerConfig(sekoia::Arguments(a), "", ReportingAuth::kOAuth);
       },
       oauth},
      {"trigger_office365_messagetrace.json",
       [](const nlohmann::json& a) {
         LoadReportingTriggerConfig(sekoia::Arguments(a), "", ReportingAuth::kBasic);
       },
       basic},
  };
}

std::string LoadError(const CatalogCase& c, const std::string& name, const nlohmann::json& value) {
  nlohmann::json arguments = c.valid;
  arguments[name] = value;
  try {
    c.load(arguments);
  } catch (const sekoia::ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(Catalog, EveryBoundEnumAndPatternOfTheFormIsWhatTheLoaderEnforces) {
  for (const CatalogCase& c : CatalogCases()) {
    std::ifstream in(std::string(TEST_DATA_DIR) + "/../../" + c.file);
    ASSERT_TRUE(in) << c.file;
    const nlohmann::json catalog = nlohmann::json::parse(in);
    int checked = 0;
    for (const auto& [name, schema] : catalog["arguments"]["properties"].items()) {
      SCOPED_TRACE(std::string(c.file) + " " + name);
      const std::string type = schema.value("type", "");
      if (type == "integer" || type == "number") {
        ASSERT_TRUE(schema.contains("minimum") && schema.contains("maximum"))
            << "a number without bounds";
        const double step = type == "integer" ? 1 : 0.5;
        const double min = schema["minimum"].get<double>(), max = schema["maximum"].get<double>();
        EXPECT_EQ(LoadError(c, name, min), "");
        EXPECT_EQ(LoadError(c, name, max), "");
        EXPECT_EQ(LoadError(c, name, schema["default"]), "");
        EXPECT_EQ(LoadError(c, name, min - step).rfind(name + ": ", 0), 0u);
        EXPECT_EQ(LoadError(c, name, max + step).rfind(name + ": ", 0), 0u);
        ++checked;
      }
      if (schema.contains("enum")) {
        for (const auto& value : schema["enum"]) EXPECT_EQ(LoadError(c, name, value), "");
        EXPECT_EQ(LoadError(c, name, "not-one-of-them").rfind(name + ": ", 0), 0u);
        ++checked;
      }
      if (schema.contains("pattern")) {
        const std::regex pattern(schema["pattern"].get<std::string>());
        for (const char* value : {"00000000-0000-0000-0000-0000000000aa", "contoso.onmicrosoft.com",
                                  "a/b", "a b", "x?y"}) {
          EXPECT_EQ(LoadError(c, name, value).empty(), std::regex_search(value, pattern)) << value;
        }
        ++checked;
      }
    }
    EXPECT_GE(checked, 7) << c.file;
  }
}

}  // namespace
}  // namespace message_trace
