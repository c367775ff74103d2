// The legacy Reporting Web Service triggers, real executable against the simulator.
#include <gtest/gtest.h>

#include <ctime>

#include "harness.hpp"

namespace integration {
namespace {

constexpr const char* kBasic = "office365_messagetrace_trigger";
constexpr const char* kOAuth = "office365_messagetrace_trigger_oauth";

// The argument sets of the platform's existing Python triggers, plus the loopback overrides.
nlohmann::json BasicConfiguration(const Simulator& simulator,
                                  const nlohmann::json& overrides = {}) {
  return Override(
      {{"frequency", 60},
       {"timedelta", 5},
       {"start_time", 1},
       {"chunk_size", 1000},
       {"account_name", kAccount},
       {"account_password", kPassword},
       {"intake_server", simulator.url()},
       {"intake_key", kIntakeKey},
       {"reporting_url", simulator.url() + "/ecp/reportingwebservice/reporting.svc/MessageTrace"}},
      overrides);
}

nlohmann::json OAuthConfiguration(const Simulator& simulator,
                                  const nlohmann::json& overrides = {}) {
  return Override(
      {{"tenant_id", kTenant},
       {"client_id", kClient},
       {"client_secret", kSecret},
       {"timedelta", 5},
       {"start_time", 1},
       {"frequency", 60},
       {"chunk_size", 1000},
       {"intake_server", simulator.url()},
       {"intake_key", kIntakeKey},
       {"login_url", simulator.url()},
       {"reporting_url", simulator.url() + "/ecp/reportingwebservice/reporting.svc/MessageTrace"}},
      overrides);
}

struct Case {
  const char* name;
  const char* shape;
  const char* next_link;
  bool oauth;
};

class ReportingTrigger : public ::testing::TestWithParam<Case> {};

// About 10,000 rows over the last 2 hours: windows of an hour hold about 5,000 rows, 3 pages each.
TEST_P(ReportingTrigger, WindowsOfFiveThousandRowsArriveCompleteThroughPaging) {
  const Case& c = GetParam();
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--mode", "reporting", "--reporting-shape", c.shape,
                                          "--reporting-next-link", c.next_link, "--records",
                                          "10000", "--days", "0.08", "--seed", "3"}));
  nlohmann::json start = {{"start_time", 3}};
  Trigger trigger(
      dir, simulator, c.oauth ? kOAuth : kBasic,
      c.oauth ? OAuthConfiguration(simulator, start) : BasicConfiguration(simulator, start));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(120s)) << trigger.process().Stderr();
  auto stats = simulator.Stats(trigger.Until());
  EXPECT_GT(stats["expected"].get<int>(), 9000) << stats.dump();
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  EXPECT_EQ(stats["unknown"], 0) << stats.dump();
  EXPECT_GE(stats["reporting_requests"].get<int>(), 5)
      << stats.dump();  // windows of more than one page
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  ExpectNoSecrets(trigger.AllOutput(), "the trigger's output");
  ExpectNoSecrets(simulator.Logs().dump(), "the platform logs");
}

INSTANTIATE_TEST_SUITE_P(ShapesAndAuth, ReportingTrigger,
                         ::testing::Values(Case{"VerboseBasic", "verbose", "yes", false},
                                           Case{"LightOAuth", "light", "yes", true},
                                           Case{"VerboseOAuthSkipToken", "verbose", "no", true},
                                           Case{"LightBasicSkipToken", "light", "no", false}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ReportingTriggerCheckpoint, ResumesTheContextLeftByThePythonTrigger) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--mode", "reporting", "--records", "3000", "--days",
                                          "0.08", "--seed", "4"}));
  Trigger trigger(dir, simulator, kBasic, BasicConfiguration(simulator, {{"start_time", 3}}));
  // What the Python trigger writes: end.isoformat() of the last window, 40 minutes ago.
  std::time_t at = std::time(nullptr) / 60 * 60 - 40 * 60;
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S+00:00", std::gmtime(&at));
  WriteFile(trigger.data_dir() / "context.json",
            std::string(R"({"most_recent_date_requested": ")") + text + "\"}");
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  EXPECT_NE(trigger.process().Stderr().find("resuming from the checkpoint"), std::string::npos);
  auto stats = simulator.Stats(trigger.Until());
  // Only the rows since the checkpoint: a third of the last two hours, none twice.
  EXPECT_GT(stats["received_total"].get<int>(), 0);
  EXPECT_LT(stats["received_total"].get<int>(), stats["expected"].get<int>() / 2) << stats.dump();
  EXPECT_EQ(stats["duplicates"], 0);
  EXPECT_EQ(stats["missing"].get<int>(),
            stats["expected"].get<int>() - stats["received_total"].get<int>());
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
}

TEST(ReportingTriggerErrors, RetiredBasicAuthPointsToTheOtherTriggers) {
  auto dir = ScratchDir();
  Simulator simulator(
      dir, SimulatorArgs({"--mode", "reporting", "--records", "100", "--basic-retired"}));
  Trigger trigger(dir, simulator, kBasic, BasicConfiguration(simulator));
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find("AllowBasicAuthReportingWebServices") !=
               std::string::npos;
      },
      20s))
      << trigger.process().Stderr();
  EXPECT_NE(trigger.process().Stderr().find("office365_messagetrace_trigger_graph"),
            std::string::npos);
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  ExpectNoSecrets(trigger.AllOutput(), "the trigger's output");
  ExpectNoSecrets(simulator.Logs().dump(), "the platform logs");
}

TEST(ReportingTriggerErrors, WrongClientSecretIsExplained) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--mode", "reporting", "--records", "100"}));
  Trigger trigger(dir, simulator, kOAuth,
                  OAuthConfiguration(simulator, {{"client_secret", "SENTINEL-wrong-secret-0000"}}));
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] { return trigger.process().Stderr().find("AADSTS7000215") != std::string::npos; }, 20s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_EQ(trigger.AllOutput().find("SENTINEL-wrong-secret-0000"), std::string::npos);
}

}  // namespace
}  // namespace integration
