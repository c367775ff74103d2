#include "check_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "fake_transport.hpp"
#include "graph_source.hpp"
#include "reporting_source.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/time_format.hpp"

namespace message_trace {
namespace {

using sekoia::testing::FakeTransport;

std::string FailureOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(CheckReport, PrintsOneLinePerStepAndSkipsTheStepsAfterAFailure) {
  std::ostringstream out;
  sekoia::Redactor redactor;
  redactor.Add("SECRET-VALUE-123");
  CheckReport report(out, redactor);
  EXPECT_TRUE(report.Step("configuration", [] { return std::string("graph"); }));
  EXPECT_TRUE(report.Step("token", [] { return std::string(); }));
  EXPECT_FALSE(report.Step("query", []() -> std::string {
    throw sekoia::HttpStatusError(403, "refused for SECRET-VALUE-123; grant the permission");
  }));
  EXPECT_FALSE(report.Step("intake", []() -> std::string {
    ADD_FAILURE() << "a step after a failure ran";
    return "";
  }));
  EXPECT_EQ(out.str(),
            "ok   configuration (graph)\n"
            "ok   token\n"
            "FAIL query: refused for ***; grant the permission\n"
            "skip intake\n");
  EXPECT_EQ(report.ExitCode(), 1);
}

TEST(CheckReport, ExitsZeroWhenEveryStepPassed) {
  std::ostringstream out;
  sekoia::Redactor redactor;
  CheckReport report(out, redactor);
  report.Step("configuration", [] { return std::string(); });
  report.Warning("configuration", "unknown argument 'x' is ignored");
  EXPECT_EQ(out.str(), "ok   configuration\nwarn configuration: unknown argument 'x' is ignored\n");
  EXPECT_EQ(report.ExitCode(), 0);
}

TEST(CheckQuery, AsksGraphForOneRecordOfTheLastHour) {
  FakeTransport transport;
  transport.Push({200, R"({"value":[]})", {}});
  GraphSourceOptions options;
  options.page_size = 1;
  GraphSource source(options, transport);
  sekoia::StopSignal stop;
  const auto now = *sekoia::ParseIso8601("2026-01-21T12:00:00.750Z");
  EXPECT_EQ(CheckQuery(source, "graph_url", options.graph_url, now, stop),
            "graph.microsoft.com: no record in the last hour; Microsoft publishes records minutes "
            "after the mail");
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(
      transport.requests()[0].url,
      "https://graph.microsoft.com/v1.0/admin/exchange/tracing/"
      "messageTraces?$filter=receivedDateTime%20ge%20"
      "2026-01-21T11%3A00%3A00Z%20and%20receivedDateTime%20le%202026-01-21T12%3A00%3A00Z&$top=1");
}

TEST(CheckQuery,
     AsksTheReportingWebServiceForOneRowOfTheLastHourAndNamesTheArgumentWhenUnreachable) {
  FakeTransport transport;
  transport.Push({-1, "", {}});
  ReportingSourceOptions options;
  options.page_rows = 1;
  ReportingSource source(options, transport);
  sekoia::StopSignal stop;
  const auto now = *sekoia::ParseIso8601("2026-01-21T12:00:00Z");
  const std::string failure =
      FailureOf([&] { CheckQuery(source, "reporting_url", options.reporting_url, now, stop); });
  EXPECT_EQ(failure.rfind("reporting_url (https://reports.office365.com/", 0), 0u) << failure;
  EXPECT_NE(failure.find("connection refused"), std::string::npos) << failure;
  ASSERT_EQ(transport.requests().size(), 1u);
  const std::string url = transport.requests()[0].url;
  EXPECT_NE(url.find("StartDate%20eq%20datetime%272026-01-21T11%3A00%3A00Z%27"), std::string::npos)
      << url;
  EXPECT_EQ(url.substr(url.size() - 7), "&$top=1");
}

TEST(CheckIntake, PostsAnEmptyBatchAsTheTriggerDoesAndAcceptsTheIntakesAnswer) {
  FakeTransport transport;
  transport.Push({200, R"({"event_ids":[]})", {}});
  sekoia::StopSignal stop;
  EXPECT_EQ(CheckIntake(transport, "https://intake.sekoia.io", "key-1", stop),
            "intake.sekoia.io accepts intake_key; no event was sent");
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://intake.sekoia.io/batch");
  EXPECT_EQ(request.body, R"({"intake_key":"key-1","jsons":[]})");
  EXPECT_EQ(request.headers, (sekoia::http::Headers{{"Content-Type", "application/json"},
                                                    {"User-Agent", "sekoiaio-connector-key-1"}}));
}

TEST(CheckIntake, ARefusedKeyAWrongPathAndANonIntakeSayWhatToFix) {
  sekoia::StopSignal stop;
  FakeTransport transport;
  transport.Push({401, R"({"message":"Invalid intake key"})", {}});
  transport.Push({404, "<html>not found</html>", {}});
  transport.Push({200, "<html>a login page</html>", {}});
  transport.Push({-1, "", {}});
  auto check = [&] { CheckIntake(transport, "https://intake.example", "k", stop); };
  EXPECT_EQ(FailureOf(check),
            "the intake at intake.example refused intake_key (HTTP 401: Invalid intake key); copy "
            "the intake key "
            "from the intake's page in Sekoia.io into intake_key");
  EXPECT_EQ(FailureOf(check),
            "the intake at intake.example has no https://intake.example/batch (HTTP 404); "
            "intake_server must be "
            "the intake's base URL, such as https://intake.sekoia.io");
  EXPECT_EQ(
      FailureOf(check),
      "the answer of intake.example (HTTP 200) is not JSON: it is not a Sekoia.io intake; check "
      "intake_server");
  EXPECT_EQ(FailureOf(check),
            "intake_server (https://intake.example): connection refused (scripted); check "
            "intake_server, the "
            "network and HTTPS_PROXY/NO_PROXY");
}

}  // namespace
}  // namespace message_trace
