#include "trigger_kinds.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "sekoia/errors.hpp"

namespace message_trace {
namespace {

using sekoia::testing::FakeClock;
using sekoia::testing::FakeLogger;
using sekoia::testing::FakeTransport;

const char* const kGraph = "office365_messagetrace_trigger_graph";
const char* const kBasic = "office365_messagetrace_trigger";
const char* const kOAuth = "office365_messagetrace_trigger_oauth";

// Valid arguments for `command`'s kind.
nlohmann::json ValidArguments(const std::string& command) {
  nlohmann::json arguments = {{"intake_key", "k"}};
  if (command == kBasic) {
    arguments["account_name"] = "reporter@contoso.onmicrosoft.com";
    arguments["account_password"] = "p";
  } else {
    arguments["tenant_id"] = "contoso.onmicrosoft.com";
    arguments["client_id"] = "c";
    arguments["client_secret"] = "s";
  }
  return arguments;
}

bool EndsWith(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

TriggerConfig Load(const TriggerKind& kind) {
  return kind.load(sekoia::Arguments(ValidArguments(kind.command)), "");
}

TEST(TriggerKinds, EveryTriggerOfTheManifestHasAKindUnderItsCommand) {
  const std::filesystem::path root = std::filesystem::path(TEST_DATA_DIR) / ".." / "..";
  int triggers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("trigger_", 0) != 0 || entry.path().extension() != ".json") continue;
    ++triggers;
    std::ifstream in(entry.path());
    const std::string command =
        nlohmann::json::parse(in).at("docker_parameters").get<std::string>();
    const TriggerKind* kind = FindTriggerKind(command);
    ASSERT_NE(kind, nullptr) << name << " declares " << command;
    EXPECT_STREQ(kind->command, command.c_str());
  }
  EXPECT_EQ(triggers, 3);
  // The Python Graph connector's command, so its image can be swapped for this one.
  EXPECT_NE(FindTriggerKind("office365_messagetrace_trigger_graph_api"), nullptr);
}

TEST(TriggerKinds, AnUnknownCommandHasNoKindAndTheListNamesEveryCommand) {
  EXPECT_EQ(FindTriggerKind("office365_nothing"), nullptr);
  EXPECT_EQ(FindTriggerKind(""), nullptr);
  EXPECT_EQ(TriggerCommands(),
            "office365_messagetrace_trigger_graph, office365_messagetrace_trigger_graph_api, "
            "office365_messagetrace_trigger, office365_messagetrace_trigger_oauth");
}

TEST(TriggerKinds, EachLoaderValidatesItsOwnArguments) {
  // A Graph configuration lacks the Basic trigger's account: its loader says so.
  try {
    FindTriggerKind(kBasic)->load(sekoia::Arguments(ValidArguments(kGraph)), "");
    ADD_FAILURE() << "the Basic trigger accepted a Graph configuration";
  } catch (const sekoia::ConfigError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("account_name: missing", 0), 0u) << error.what();
  }
  EXPECT_THROW(FindTriggerKind(kOAuth)->load(sekoia::Arguments(ValidArguments(kBasic)), ""),
               sekoia::ConfigError);
}

TEST(TriggerKinds, EachKindsFunctionsTakeWhatItsLoaderReturns) {
  for (const TriggerKind& kind : TriggerKinds()) {
    SCOPED_TRACE(kind.command);
    const TriggerConfig config = Load(kind);
    EXPECT_EQ(Common(config).intake_key, "k");
    const ClientCredentialsConfig* credentials = kind.credentials(config);
    EXPECT_EQ(credentials != nullptr, kind.uses_token);
    if (credentials) {
      EXPECT_EQ(credentials->tenant_id, "contoso.onmicrosoft.com");
    }
    const ServiceEndpoint service = kind.service(config);
    const bool graph = std::string(kind.command).find("graph") != std::string::npos;
    EXPECT_STREQ(service.argument, graph ? "graph_url" : "reporting_url");
    EXPECT_EQ(kind.resumes_python_graph_context, graph);
    EXPECT_EQ(
        service.url,
        graph ? "https://graph.microsoft.com"
              : "https://reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace");
    FakeTransport transport;
    const Window window{sekoia::TimePoint(std::chrono::hours(490000)),
                        sekoia::TimePoint(std::chrono::hours(490001))};
    // The check's source asks for one record; the trigger's for the configured page.
    EXPECT_TRUE(EndsWith(kind.make_source(config, transport, 1)->FirstPageUrl(window), "&$top=1"));
    EXPECT_TRUE(EndsWith(kind.make_source(config, transport, 0)->FirstPageUrl(window),
                         graph ? "&$top=5000" : "&$top=2000"));
    EXPECT_EQ(kind.make_source(config, transport, 0)->FirstPageUrl(window).rfind(service.url, 0),
              0u);
  }
  EXPECT_EQ(FindTriggerKind(kGraph)->name(Load(*FindTriggerKind(kGraph))),
            "Microsoft Graph message trace trigger, tenant contoso.onmicrosoft.com");
  EXPECT_EQ(FindTriggerKind(kBasic)->name(Load(*FindTriggerKind(kBasic))),
            "Reporting Web Service message trace trigger (Basic auth)");
  EXPECT_EQ(FindTriggerKind(kOAuth)->name(Load(*FindTriggerKind(kOAuth))),
            "Reporting Web Service message trace trigger (OAuth, tenant contoso.onmicrosoft.com)");
}

TEST(TriggerKinds, TokenKindsGetATokenFromTheirTenantAndBasicSendsTheAccount) {
  FakeClock clock;
  FakeLogger logger;
  sekoia::Redactor redactor;
  for (const char* command : {kGraph, kOAuth}) {
    SCOPED_TRACE(command);
    const TriggerKind& kind = *FindTriggerKind(command);
    FakeTransport inner;
    FakeTransport login;
    const MicrosoftAuth auth = kind.make_auth(Load(kind), inner, login, clock, logger, redactor);
    ASSERT_NE(auth.credential, nullptr);
    EXPECT_EQ(auth.token_url,
              "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
    EXPECT_EQ(auth.certificate, nullptr);
  }
  const TriggerKind& basic = *FindTriggerKind(kBasic);
  FakeTransport inner;
  FakeTransport login;
  const TriggerConfig config = Load(basic);
  const MicrosoftAuth auth = basic.make_auth(config, inner, login, clock, logger, redactor);
  EXPECT_EQ(auth.credential, nullptr);
  EXPECT_EQ(auth.token_url, "");
  inner.Push({200, "{}", {}});
  auth.authorized->Send({"GET", basic.service(config).url, "", {}}, sekoia::StopSignal());
  const std::vector<sekoia::http::HttpRequest> sent = inner.requests();
  ASSERT_EQ(sent.size(), 1u);
  std::string authorization;
  for (const auto& [name, value] : sent[0].headers) {
    if (name == "Authorization") authorization = value;
  }
  EXPECT_EQ(authorization.rfind("Basic ", 0), 0u);
  EXPECT_TRUE(login.requests().empty());
}

}  // namespace
}  // namespace message_trace
